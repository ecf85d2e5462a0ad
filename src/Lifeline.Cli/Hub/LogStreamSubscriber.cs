using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Lifeline.Cli.Hub;

/// <summary>
/// Subscribes to <c>/v1/stream</c> and yields entries exactly once, in id order, across reconnects: every
/// reconnect resumes with <c>after</c> = the largest id yielded, and any entry at or below it is dropped.
/// Runs entirely inside the enumerator (no background task): when enumeration ends, everything has ended.
/// Not thread-safe: one enumeration at a time.
/// </summary>
internal sealed partial class LogStreamSubscriber(HubEndpoint endpoint, LogStreamOptions options)
{
    public async IAsyncEnumerable<StreamEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long? after = options.After;
        var needBacklog = after is null && options.Backlog > 0;
        var everConnected = false;
        var attempt = 0;
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var socket = CreateSocket();
            // The backlog probe goes without clientId, so the hub does not count the real connection as a reconnect.
            var query = options.Filter.ToQuery(after);
            if (!needBacklog)
            {
                query.Add(new("clientId", options.ClientId));
            }

            var uri = endpoint.WebSocket("v1/stream", query);
            var failure = await TryConnectAsync(socket, uri, everConnected, cancellationToken).ConfigureAwait(false);
            TimeSpan? retryHint = null;
            if (failure is null)
            {
                var heartbeat = TimeSpan.FromSeconds(30);
                using var idle = new CancellationTokenSource(Timeout.InfiniteTimeSpan, options.Time);
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, idle.Token);
                while (true)
                {
                    // A hub that says nothing for two heartbeat periods is dead (docs/protocol.md): give up on this socket.
                    idle.CancelAfter(heartbeat * 2);
                    var received = await TryReceiveAsync(socket, buffer, linked.Token, cancellationToken).ConfigureAwait(false);
                    if (received.Failure is not null)
                    {
                        failure = idle.IsCancellationRequested ? $"no message from the hub for {heartbeat.TotalSeconds * 2:0} s" : received.Failure;
                        retryHint = received.RetryHint;
                        break;
                    }

                    using var message = JsonDocument.Parse(buffer.WrittenMemory);
                    var root = message.RootElement;
                    switch (root.GetProperty("type").GetString())
                    {
                        case "hello":
                            var lastId = root.GetProperty("lastId").GetInt64();
                            if (root.TryGetProperty("heartbeatMs", out var ms) && ms.GetInt64() > 0)
                            {
                                heartbeat = TimeSpan.FromMilliseconds(ms.GetInt64());
                            }

                            if (needBacklog)
                            {
                                // Learned where the hub is: reconnect at once from a few ids back, so the backlog comes first.
                                needBacklog = false;
                                after = Math.Max(0, lastId - options.Backlog);
                                await CloseQuietlyAsync(socket).ConfigureAwait(false);
                                goto Reconnect;
                            }

                            if (everConnected && after > lastId)
                            {
                                // The hub came back with fewer entries than we saw (a memory store restarted): its ids
                                // start again, so follow it from its beginning rather than wait for ids it will reuse.
                                yield return new StreamEvent.Reset(lastId, after.Value);
                                after = 0;
                                await CloseQuietlyAsync(socket).ConfigureAwait(false);
                                goto Reconnect;
                            }

                            yield return new StreamEvent.Connected(lastId, after, everConnected);
                            everConnected = true;
                            attempt = 0;
                            if (after is null)
                            {
                                // Unpositioned: the stream starts after lastId; reconnects resume from there.
                                after = lastId;
                            }

                            break;
                        case "entries":
                            foreach (var item in root.GetProperty("entries").EnumerateArray())
                            {
                                var entry = item.Deserialize(CliJsonContext.Default.StreamEntry)! with { Raw = item.GetRawText() };
                                if (entry.Id <= (after ?? 0))
                                {
                                    continue; // already yielded before a reconnect: never twice
                                }

                                after = entry.Id;
                                yield return new StreamEvent.Entry(entry);
                            }

                            break;
                        case "gap":
                            var gap = new StreamEvent.Gap(root.GetProperty("fromId").GetInt64(), root.GetProperty("toId").GetInt64(), root.TryGetProperty("reason", out var reason) ? reason.GetString() ?? "" : "");
                            after = Math.Max(after ?? 0, gap.ToId);
                            yield return gap;
                            break;
                        case "live":
                            var live = root.GetProperty("lastId").GetInt64();
                            yield return new StreamEvent.Live(live);
                            if (!options.Follow)
                            {
                                await CloseQuietlyAsync(socket).ConfigureAwait(false);
                                yield break;
                            }

                            break;
                        default:
                            break; // heartbeat, or a message type a later protocol adds for other clients
                    }
                }
            }

            // The hub said when to come back (1001 while it restarts); otherwise exponential backoff with jitter.
            attempt++;
            var delay = retryHint ?? Backoff(attempt);
            yield return new StreamEvent.Disconnected(failure, attempt, delay);
            await Task.Delay(delay, options.Time, cancellationToken).ConfigureAwait(false);
        Reconnect:;
        }
    }

    private ClientWebSocket CreateSocket()
    {
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(15);
        socket.Options.KeepAliveTimeout = TimeSpan.FromSeconds(15);
        if (endpoint.Key is not null)
        {
            socket.Options.SetRequestHeader("Authorization", $"Bearer {endpoint.Key}");
        }

        return socket;
    }

    private TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(options.MaxReconnectDelay.TotalMilliseconds, options.ReconnectDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 16)));
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() / 2)));
    }

    /// <summary>Null when connected; a reason when it failed in a way worth retrying; throws when retrying cannot help.</summary>
    private async Task<string?> TryConnectAsync(ClientWebSocket socket, Uri uri, bool everConnected, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15), options.Time);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
            await socket.ConnectAsync(uri, linked.Token).ConfigureAwait(false);
            return null;
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            var status = socket.HttpStatusCode;
            var scope = status == HttpStatusCode.Forbidden ? "read" : "read";
            if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.BadRequest or HttpStatusCode.NotFound)
            {
                throw HubRequestException.From(status, null, endpoint, scope);
            }

            if (!everConnected)
            {
                // The first connection failing is most likely a wrong URL or a hub not started: say so and stop.
                throw new CliException(CliErrors.Describe(exception, endpoint).Message, ExitCodes.Unreachable, exception);
            }

            return status == 0 ? CliErrors.Describe(exception, endpoint).Message : $"handshake answered {(int)status}";
        }
    }

    private static async Task CloseQuietlyAsync(ClientWebSocket socket)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Leaving anyway: the socket is disposed next.
        }
    }
}
