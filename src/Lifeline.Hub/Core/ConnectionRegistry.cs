using System.Collections.Concurrent;
using Lifeline.Protocol;

namespace Lifeline.Hub.Core;

/// <summary>Every open hub WebSocket and the task that runs it, so shutdown can close and await them all. Thread-safe.</summary>
internal sealed class ConnectionRegistry
{
    private readonly ConcurrentDictionary<HubConnection, Task> _connections = new();

    public int Count => _connections.Count;

    /// <summary>Raised after a connection is added or removed (tests wait on it instead of polling).</summary>
    public event Action? Changed;

    public IEnumerable<HubConnection> Connections => _connections.Keys;

    /// <summary>Runs <paramref name="connection"/> to its end, registered meanwhile.</summary>
    public async Task RunAsync(HubConnection connection)
    {
        // Registered before it runs, so a drain that starts meanwhile sees it; `done` completes once it is removed (a
        // completion source rather than a wrapper task that awaits a start signal: one object less per open connection).
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _connections[connection] = done.Task;
        Changed?.Invoke();
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            // A failure reaches the caller (the request); the drain only needs to know the connection ended.
            _connections.TryRemove(connection, out _);
            Changed?.Invoke();
            done.SetResult();
        }
    }

    /// <summary>Asks every connection to close with 1001 and the reason <paramref name="reasonFor"/> gives (made when the close is sent).</summary>
    public void CloseAll(Func<long?, CloseReason> reasonFor)
    {
        foreach (var c in _connections.Keys)
        {
            c.RequestGoingAway(reasonFor);
        }
    }

    /// <summary>Awaits every connection task; past <paramref name="timeout"/> aborts the rest and awaits them.</summary>
    public async Task WaitAllAsync(TimeSpan timeout, TimeProvider time)
    {
        var all = Task.WhenAll(_connections.Values);
        try
        {
            await all.WaitAsync(timeout, time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            foreach (var c in _connections.Keys)
            {
                c.Abort();
            }

            await all.ConfigureAwait(false);
        }
    }
}
