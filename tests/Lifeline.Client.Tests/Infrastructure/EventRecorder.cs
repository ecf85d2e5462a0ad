using System.Threading.Channels;
using Lifeline.Testing.Tasks;

namespace Lifeline.Client.Tests.Infrastructure;

/// <summary>Records every event of a client, in order, and lets a test await the next one of a kind.</summary>
internal sealed class EventRecorder
{
    private readonly Lock _gate = new();
    private readonly List<EventArgs> _all = [];
    private readonly Dictionary<Type, Channel<EventArgs>> _byType = new()
    {
        [typeof(ConnectedEventArgs)] = Channel.CreateUnbounded<EventArgs>(),
        [typeof(DisconnectedEventArgs)] = Channel.CreateUnbounded<EventArgs>(),
        [typeof(ReconnectingEventArgs)] = Channel.CreateUnbounded<EventArgs>(),
        [typeof(ClientErrorEventArgs)] = Channel.CreateUnbounded<EventArgs>(),
        [typeof(MessageReceivedEventArgs)] = Channel.CreateUnbounded<EventArgs>(),
    };

    public EventRecorder(LifelineClient client, bool messages = false)
    {
        client.Connected += (_, e) => Record(e);
        client.Disconnected += (_, e) => Record(e);
        client.Reconnecting += (_, e) => Record(e);
        client.Error += (_, e) => Record(e);
        if (messages)
        {
            client.MessageReceived += (_, e) => Record(e);
        }
    }

    /// <summary>Records the client's lifecycle events and starts it.</summary>
    public static async Task<EventRecorder> StartAsync(LifelineClient client)
    {
        var events = new EventRecorder(client);
        await client.StartAsync(CancellationToken.None);
        return events;
    }

    public IReadOnlyList<EventArgs> All
    {
        get
        {
            lock (_gate)
            {
                return [.. _all];
            }
        }
    }

    public int Count<T>() => All.OfType<T>().Count();

    public async Task<T> NextAsync<T>(TimeSpan? timeout = null)
        where T : EventArgs =>
        (T)await _byType[typeof(T)].Reader.ReadAsync().AsTask().OrTimeout(timeout ?? TimeSpan.FromSeconds(30));

    /// <summary>The next event of a kind, with no hang guard: for racing against another wait (cancel it after).</summary>
    public async Task<T> NextOrCancelAsync<T>(CancellationToken cancellationToken)
        where T : EventArgs =>
        (T)await _byType[typeof(T)].Reader.ReadAsync(cancellationToken);

    public Task<ConnectedEventArgs> ConnectedAsync() => NextAsync<ConnectedEventArgs>();

    public Task<DisconnectedEventArgs> DisconnectedAsync() => NextAsync<DisconnectedEventArgs>();

    public Task<ReconnectingEventArgs> ReconnectingAsync() => NextAsync<ReconnectingEventArgs>();

    private void Record(EventArgs e)
    {
        lock (_gate)
        {
            _all.Add(e);
        }

        _byType[e.GetType()].Writer.TryWrite(e);
    }
}
