using System.Net;
using System.Net.Sockets;

namespace Lifeline.Testing.Faults;

public sealed partial class FaultProxy
{
    // Serializes starting and stopping the listener; the accept loop itself never takes it.
    private readonly SemaphoreSlim _listenerLock = new(1, 1);
    private Socket? _listener;
    private CancellationTokenSource? _acceptCts;
    private Task? _acceptLoop;
    private volatile RefusalMode _refusal;

    /// <summary>How new connections are currently treated.</summary>
    public RefusalMode Refusal => _refusal;

    /// <summary>
    /// Refuses new connections from now on, either by accepting and resetting them or by not listening at all.
    /// Existing connections are not affected (use <see cref="CutAllAsync"/>).
    /// </summary>
    /// <param name="mode"><see cref="RefusalMode.Reset"/> or <see cref="RefusalMode.StopListening"/>; <see cref="RefusalMode.None"/> accepts again.</param>
    /// <param name="cancellationToken">Cancels waiting for the listener lock.</param>
    /// <returns>A task that completes when the new mode is in effect.</returns>
    /// <exception cref="ObjectDisposedException">The proxy has been stopped.</exception>
    public async Task RefuseNewConnectionsAsync(RefusalMode mode = RefusalMode.Reset, CancellationToken cancellationToken = default)
    {
        await _listenerLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            _refusal = mode;
            Log.RefusalSet(Logger, mode);
            if (mode == RefusalMode.StopListening)
            {
                await StopListeningCoreAsync().ConfigureAwait(false);
            }
            else if (_listener is null)
            {
                StartListeningCore();
            }
        }
        finally
        {
            _listenerLock.Release();
        }
    }

    /// <summary>Accepts and forwards new connections again, listening on the same port.</summary>
    /// <param name="cancellationToken">Cancels waiting for the listener lock.</param>
    /// <returns>A task that completes when new connections are accepted.</returns>
    /// <exception cref="ObjectDisposedException">The proxy has been stopped.</exception>
    public Task AcceptNewConnectionsAsync(CancellationToken cancellationToken = default)
        => RefuseNewConnectionsAsync(RefusalMode.None, cancellationToken);

    private void StartListening()
    {
        _listenerLock.Wait();
        try
        {
            StartListeningCore();
        }
        finally
        {
            _listenerLock.Release();
        }
    }

    private void StartListeningCore()
    {
        var listener = new Socket(EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Re-listening on the same port must not fail because of connections in TIME_WAIT.
            listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Bind(EndPoint);
            listener.Listen(512);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        EndPoint = (IPEndPoint)listener.LocalEndPoint!;
        _listener = listener;
        _acceptCts = new CancellationTokenSource();
        _acceptLoop = AcceptLoopAsync(listener, _acceptCts.Token);
        Log.Listening(Logger, EndPoint, _upstream);
    }

    private async Task StopListeningAsync()
    {
        await _listenerLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await StopListeningCoreAsync().ConfigureAwait(false);
        }
        finally
        {
            _listenerLock.Release();
        }
    }

    private async Task StopListeningCoreAsync()
    {
        if (_listener is null)
        {
            return;
        }

        await _acceptCts!.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _acceptLoop!.ConfigureAwait(false);
        _acceptCts.Dispose();
        _listener = null;
        _acceptCts = null;
        _acceptLoop = null;
        Log.StoppedListening(Logger, EndPoint);
    }

    private async Task AcceptLoopAsync(Socket listener, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException)
            {
                // A client that gave up before we accepted it; keep serving the others.
                continue;
            }

            if (_refusal == RefusalMode.Reset)
            {
                Interlocked.Increment(ref _refused);
                Log.Refused(Logger, RefusalMode.Reset);
                ProxyConnection.Reset(client);
                continue;
            }

            lock (_gate)
            {
                if (_stopping.IsCancellationRequested)
                {
                    ProxyConnection.Reset(client);
                    return;
                }

                var connection = new ProxyConnection(this, client, _upstream);
                _connections.Add(connection);
                _active = _connections.Count;
                _total++;
                _activeWaiters.Publish(_active);
                _totalWaiters.Publish(_total);
                connection.Start();
            }
        }
    }
}
