using System.Collections.Concurrent;

namespace Lifeline.Client;

// Event dispatch: handlers run one at a time, in order, on a dispatch task that exists only while events are
// queued, never on the supervisor or a socket loop, so a handler may call StopAsync. Every handler is guarded.
public sealed partial class LifelineClient
{
    private static readonly AsyncLocal<LifelineClient?> s_dispatching = new();
    private readonly ConcurrentQueue<EventArgs> _events = new();
    private readonly Lock _dispatchGate = new();
    private readonly SemaphoreSlim _messageSlots;
    private Task _dispatchTask = Task.CompletedTask;
    private bool _dispatchRunning;

    /// <summary>A connection is up and <see cref="LifelineClientOptions.OnConnected"/> has finished.</summary>
    public event EventHandler<ConnectedEventArgs>? Connected;

    /// <summary>A connection ended (once per connection), with the reason and whether the client will reconnect.</summary>
    public event EventHandler<DisconnectedEventArgs>? Disconnected;

    /// <summary>The client is waiting before its next connect attempt.</summary>
    public event EventHandler<ReconnectingEventArgs>? Reconnecting;

    /// <summary>An error the client handled (it keeps running unless <see cref="State"/> says <see cref="ClientState.Faulted"/>).</summary>
    public event EventHandler<ClientErrorEventArgs>? Error;

    /// <summary>A message arrived. Attach before <see cref="StartAsync"/> to see every message; at most
    /// <see cref="LifelineClientOptions.ReceiveBufferCapacity"/> messages wait for handlers before receiving pauses.</summary>
    public event EventHandler<MessageReceivedEventArgs>? MessageReceived;

    private static bool IsOnDispatchLoop => s_dispatching.Value is not null;

    private void ReportError(ErrorCategory category, Exception exception)
    {
        _metrics.Error();
        Post(new ClientErrorEventArgs(category, exception));
    }

    private void Post(EventArgs args)
    {
        _events.Enqueue(args);
        lock (_dispatchGate)
        {
            if (_dispatchRunning)
            {
                return;
            }

            _dispatchRunning = true;
            _dispatchTask = Task.Run(DispatchAsync, CancellationToken.None);
        }
    }

    private Task DispatchAsync()
    {
        s_dispatching.Value = this;
        while (true)
        {
            while (_events.TryDequeue(out var args))
            {
                Raise(args);
            }

            lock (_dispatchGate)
            {
                if (_events.IsEmpty)
                {
                    // Invariant: with _dispatchRunning false the queue was empty under the gate, so the next Post starts a new task.
                    _dispatchRunning = false;
                    return Task.CompletedTask;
                }
            }
        }
    }

    private void Raise(EventArgs args)
    {
        try
        {
            switch (args)
            {
                case MessageReceivedEventArgs message:
                    try
                    {
                        MessageReceived?.Invoke(this, message);
                    }
                    finally
                    {
                        _messageSlots.Release();
                    }

                    return;
                case ConnectedEventArgs connected:
                    Connected?.Invoke(this, connected);
                    return;
                case DisconnectedEventArgs disconnected:
                    Disconnected?.Invoke(this, disconnected);
                    return;
                case ReconnectingEventArgs reconnecting:
                    Reconnecting?.Invoke(this, reconnecting);
                    return;
                case ClientErrorEventArgs error:
                    Error?.Invoke(this, error);
                    return;
            }
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, _name, args.GetType().Name.Replace("EventArgs", string.Empty, StringComparison.Ordinal), ex);
            if (args is not ClientErrorEventArgs)
            {
                // Reported once; an Error handler that throws is only logged, so errors cannot loop.
                ReportError(ErrorCategory.Handler, ex);
            }
        }
    }

    private async Task DrainEventsAsync()
    {
        while (true)
        {
            Task running;
            lock (_dispatchGate)
            {
                if (!_dispatchRunning)
                {
                    return;
                }

                running = _dispatchTask;
            }

            await running.ConfigureAwait(false);
        }
    }
}
