using System.Runtime.InteropServices;

namespace Lifeline.Cli;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM cancel the running command's token; the command then stops gracefully and
/// returns its own exit code (0 for demo, serve, tail --follow). A second signal is not intercepted, so it
/// terminates the process at once. Registered before parsing, so no signal can arrive before a handler exists.
/// </summary>
internal sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _cts;
    private readonly PosixSignalRegistration[] _registrations;
    private int _signalled;

    public SignalCancellation(CancellationToken outer)
    {
        _cts = CancellationTokenSource.CreateLinkedTokenSource(outer);
        _registrations = [PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal), PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal)];
    }

    public CancellationToken Token => _cts.Token;

    private void OnSignal(PosixSignalContext context)
    {
        if (Interlocked.Exchange(ref _signalled, 1) != 0)
        {
            return; // the second signal: default handling ends the process
        }

        context.Cancel = true;
        // Cancellation callbacks run the command's shutdown: not on the runtime's signal thread.
        ThreadPool.QueueUserWorkItem(static cts => CancelQuietly(cts), _cts, preferLocal: false);
    }

    private static void CancelQuietly(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The command ended (and disposed this) between the signal and now: nothing left to stop.
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _cts.Dispose();
    }
}
