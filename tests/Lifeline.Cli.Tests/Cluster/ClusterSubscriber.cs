using System.Net.WebSockets;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests.Cluster;

/// <summary>
/// A raw <c>/v1/stream</c> subscriber that may move between nodes: it keeps every entry it received, in order, and
/// resumes on any node with <c>after</c> = the last id it holds (or a 1001's <c>resumeAfter</c>). A tracked receive loop
/// per connection; <see cref="WaitForAsync"/> waits on its progress. Entries out of order (an id not above the last)
/// and <c>gap</c> messages are recorded for the test to assert on. Thread-safe for one test driving it.
/// </summary>
internal sealed class ClusterSubscriber : IAsyncDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    private readonly Lock _lock = new();
    private readonly List<LogEntry> _entries = [];
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClientWebSocket? _socket;
    private Task<(WebSocketCloseStatus? Status, string? Description)> _run = Task.FromResult<(WebSocketCloseStatus?, string?)>((null, null));

    private ClusterSubscriber(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>The node the current (or last) connection went to.</summary>
    public HubNode? Node { get; private set; }

    /// <summary>Entries whose id was not above the previous one's (a duplicate or a reordering).</summary>
    public List<string> OrderViolations { get; } = [];

    /// <summary>Every <c>gap</c> message received.</summary>
    public List<GapMessage> Gaps { get; } = [];

    /// <summary>How many times this subscriber connected.</summary>
    public int Connections { get; private set; }

    /// <summary>The current connection's end: its close status and description.</summary>
    public Task<(WebSocketCloseStatus? Status, string? Description)> Closed => _run;

    public long LastId
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count == 0 ? 0 : _entries[^1].Id;
            }
        }
    }

    /// <summary>A copy of the entries received so far.</summary>
    public List<LogEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>Subscribes on <paramref name="node"/> from <c>after</c> = <paramref name="after"/>.</summary>
    public static async Task<ClusterSubscriber> ConnectAsync(string name, HubNode node, long after = 0)
    {
        var subscriber = new ClusterSubscriber(name);
        await subscriber.ConnectToAsync(node, after);
        return subscriber;
    }

    /// <summary>Closes the current connection (if open) and resumes on <paramref name="node"/> after <paramref name="after"/> (default: the last id held).</summary>
    public async Task MoveToAsync(HubNode node, long? after = null)
    {
        await CloseAsync();
        await ConnectToAsync(node, after ?? LastId);
    }

    /// <summary>A cut: aborts the current connection (no close frame), then resumes on <paramref name="node"/> after the last id held.</summary>
    public async Task CutAndMoveToAsync(HubNode node)
    {
        _socket?.Abort();
        await _run.OrTimeout(Timeout);
        _socket?.Dispose();
        _socket = null;
        await ConnectToAsync(node, LastId);
    }

    /// <summary>Waits until the last id held is at least <paramref name="id"/>; fails if the connection ends first.</summary>
    public async Task WaitForAsync(long id)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            Task progress;
            lock (_lock)
            {
                if (_entries.Count > 0 && _entries[^1].Id >= id)
                {
                    return;
                }

                progress = _progress.Task;
            }

            var run = _run;
            Task first;
            try
            {
                first = await Task.WhenAny(progress, run).WaitAsync(Timeout - started.Elapsed).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TimeoutException or ArgumentOutOfRangeException)
            {
                throw new TimeoutException($"{Name} on {Node?.Name}: at id {LastId} after {Timeout.TotalSeconds:0} s, waiting for {id}");
            }

            if (first == run && LastId < id)
            {
                var (status, description) = await run;
                throw new InvalidOperationException($"{Name} on {Node?.Name}: closed ({status} {description}) at id {LastId}, waiting for {id}");
            }
        }
    }

    /// <summary>Closes the current connection normally and awaits its receive loop.</summary>
    public async Task CloseAsync()
    {
        if (_socket is { State: WebSocketState.Open } socket)
        {
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).OrTimeout(Timeout);
            }
            catch (WebSocketException)
            {
                // The node went away meanwhile: the loop below ends all the same.
            }
        }

        await _run.OrTimeout(Timeout);
        _socket?.Dispose();
        _socket = null;
    }

    public async ValueTask DisposeAsync()
    {
        _socket?.Abort();
        await _run.OrTimeout(Timeout);
        _socket?.Dispose();
    }

    private async Task ConnectToAsync(HubNode node, long after)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("lifeline.v1");
        socket.Options.SetRequestHeader("Authorization", "Bearer " + LocalCluster.ReadKey);
        try
        {
            await socket.ConnectAsync(node.WsUrl($"v1/stream?after={after}"), CancellationToken.None).OrTimeout(Timeout);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        Node = node;
        Connections++;
        _socket = socket;
        _run = ReceiveLoopAsync(socket);
    }

    private async Task<(WebSocketCloseStatus? Status, string? Description)> ReceiveLoopAsync(ClientWebSocket socket)
    {
        var buffer = new byte[4 << 20];
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        return (socket.CloseStatus, socket.CloseStatusDescription);
                    }

                    length += result.Count;
                }
                while (!result.EndOfMessage);

                Apply(StreamMessageJson.Parse(buffer.AsSpan(0, length)));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // Cut (the node was killed: WebSocketException; this side aborted: OperationCanceledException): no close frame.
            return (null, null);
        }
        finally
        {
            TaskCompletionSource progress;
            lock (_lock)
            {
                progress = _progress;
            }

            progress.TrySetResult();
        }
    }

    private void Apply(StreamMessage message)
    {
        TaskCompletionSource? progress = null;
        lock (_lock)
        {
            switch (message)
            {
                case EntriesMessage entries:
                    foreach (var entry in entries.Entries)
                    {
                        if (_entries.Count > 0 && entry.Id <= _entries[^1].Id)
                        {
                            OrderViolations.Add($"{entry.Id} after {_entries[^1].Id} (connection {Connections} to {Node?.Name})");
                        }

                        _entries.Add(entry);
                    }

                    progress = _progress;
                    _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
                    break;
                case GapMessage gap:
                    Gaps.Add(gap);
                    break;
            }
        }

        progress?.TrySetResult();
    }
}
