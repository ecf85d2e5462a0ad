using System.Net;
using System.Net.WebSockets;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Storage;

/// <summary>
/// Issue 11, point 1, "nothing lost, nothing twice across a restart", against hubs in child processes on SQLite that are
/// killed (SIGKILL) or stopped (SIGTERM) and started again on the same file. Before the fix the idempotency memory died
/// with the process, so a retry of a batch stored before the restart was stored again, and a drain stored publishes it
/// never acknowledged.
/// </summary>
public sealed class RestartTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lifeline-restart-");

    private string Db => Path.Combine(_dir.FullName, "hub.db");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task KillDash9_RightAfterACommitWhoseAckIsDropped_RetriesAfterRestart_GetTheOriginalIds_AndAreStoredOnce()
    {
        // The publishers talk to the hub through a proxy that drops every byte back to them, so neither the ack nor the
        // HTTP answer arrives; a subscriber connected directly sees the entries, i.e. their commit (the fan-out follows
        // it). Then SIGKILL. Deterministic: the batches are committed and their answers lost, every time.
        LogEntry[] ws = [new() { Message = "ws.0" }, new() { Message = "ws.1" }, new() { Message = "ws.2" }];
        LogEntry[] http = [new() { Message = "http.0" }, new() { Message = "http.1" }];
        Dictionary<string, long> ids;
        await using (var hub = await ChildHub.StartAsync(Db))
        {
            var proxy = await FaultProxy.StartAsync(new IPEndPoint(IPAddress.Loopback, hub.BaseUri.Port));
            using var subscriberSocket = new ClientWebSocket();
            using var publisherSocket = new ClientWebSocket();
            using var viaProxy = new HttpClient { BaseAddress = proxy.GetUri("http") };
            using var abandon = new CancellationTokenSource();
            try
            {
                await subscriberSocket.ConnectAsync(hub.WsUri("v1/stream"), CancellationToken.None).OrTimeout(Timeout);
                var subscriber = new TestSubscriber(subscriberSocket);
                await subscriber.ReceiveUntilAsync<LiveMessage>();
                await publisherSocket.ConnectAsync(new Uri(proxy.GetUri("ws"), "v1/ingest?clientId=svc"), CancellationToken.None).OrTimeout(Timeout);
                var publisher = new TestPublisher(publisherSocket);

                proxy.SetHalfOpen(Direction.Downstream);
                await publisher.PublishAsync("1", ws);
                var post = ChildHub.PostAsync(viaProxy, http, "svc/http-1", abandon.Token);
                await subscriber.ReceiveEntriesAsync(ws.Length + http.Length);
                await hub.KillAsync();

                await abandon.CancelAsync();
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => post).OrTimeout(Timeout);
                ids = subscriber.Entries.ToDictionary(e => e.Message, e => e.Id);
            }
            finally
            {
                await proxy.DisposeAsync();
            }
        }

        await using var again = await ChildHub.StartAsync(Db);
        using (var retry = await ChildHub.PostAsync(again.Http, http, "svc/http-1"))
        {
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
            Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
            Assert.Equal(new PublishResult(2, ids["http.0"], ids["http.1"]), HttpBodyJson.ParsePublishResult(await retry.Content.ReadAsByteArrayAsync()));
        }

        using (var socket = new ClientWebSocket())
        {
            await socket.ConnectAsync(again.WsUri("v1/ingest?clientId=svc"), CancellationToken.None).OrTimeout(Timeout);
            var publisher = new TestPublisher(socket);
            await publisher.PublishAsync("1", ws);
            Assert.Equal(new AckMessage("1", 3, ids["ws.0"], ids["ws.2"]), await publisher.ReceiveAsync());
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).OrTimeout(Timeout);
        }

        var stored = await again.QueryAllAsync();
        Assert.Equal(ids.OrderBy(p => p.Value).Select(p => (p.Value, p.Key)), stored.Select(e => (e.Id, e.Message)));
    }

    [Fact]
    public async Task Sigterm_WhilePublishesArrive_EveryStoredBatchWasAcked_AndRetriesAfterRestart_GetTheOriginalIds()
    {
        // Two WebSocket publishers pipeline batches and an HTTP publisher posts one after another while the hub is
        // stopped with SIGTERM. The drain must acknowledge everything it stores (before the fix, a publish that reached
        // the socket as the drain began was stored unacknowledged). Then every batch ever sent is sent again, with its
        // key, to the restarted hub: the acknowledged ones must be answered with their first ids and none stored twice.
        var publishers = new[] { new SocketPublisher("ws-a"), new SocketPublisher("ws-b") };
        var poster = new HttpPoster("http-a");
        await using (var hub = await ChildHub.StartAsync(Db))
        {
            var runs = publishers.Select(p => p.RunUntilClosedAsync(hub)).Append(poster.RunUntilRefusedAsync(hub.Http)).ToArray();
            await Task.WhenAll(publishers.Select(p => p.Flowing).Append(poster.Flowing)).OrTimeout(Timeout);
            await hub.TerminateAsync();
            await Task.WhenAll(runs).OrTimeout(Timeout);
        }

        await using var again = await ChildHub.StartAsync(Db);
        var acked = publishers.SelectMany(p => p.Acked.Keys.Select(r => p.Sent[r])).Concat(poster.Acked.Keys.Select(k => poster.Sent[k])).SelectMany(b => b).Select(e => e.Message);
        Assert.Equal(acked.Order(StringComparer.Ordinal), (await again.QueryAllAsync()).Select(e => e.Message).Order(StringComparer.Ordinal));

        foreach (var p in publishers)
        {
            await p.ResendEverythingAsync(again);
        }

        await poster.ResendEverythingAsync(again.Http);
        var stored = await again.QueryAllAsync();
        var sent = publishers.SelectMany(p => p.Sent.Values).Concat(poster.Sent.Values).SelectMany(b => b).Select(e => e.Message);
        Assert.Equal(sent.Order(StringComparer.Ordinal), stored.Select(e => e.Message).Order(StringComparer.Ordinal));
        var byId = stored.ToDictionary(e => e.Id, e => e.Message);
        foreach (var (batches, acks) in publishers.Select(p => (p.Sent, p.Acked)).Append((poster.Sent, poster.Acked)))
        {
            foreach (var (key, result) in acks)
            {
                Assert.Equal(batches[key].Select(e => e.Message), Enumerable.Range(0, result.Count).Select(i => byId[result.FirstId + i]));
            }
        }
    }

    private static LogEntry[] Batch(string prefix, int n, int size) =>
        [.. Enumerable.Range(0, size).Select(i => new LogEntry { Message = $"{prefix}-{n}-{i}" })];

    /// <summary>A raw <c>/v1/ingest</c> publisher with a clientId that pipelines 50-entry batches and keeps what it sent and what was acknowledged.</summary>
    private sealed class SocketPublisher(string clientId)
    {
        private readonly TaskCompletionSource _flowing = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Dictionary<string, LogEntry[]> Sent { get; } = [];

        public Dictionary<string, PublishResult> Acked { get; } = [];

        /// <summary>Completes after the first few acks.</summary>
        public Task Flowing => _flowing.Task;

        public async Task RunUntilClosedAsync(ChildHub hub)
        {
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(hub.WsUri($"v1/ingest?clientId={clientId}"), CancellationToken.None).OrTimeout(Timeout);
            var publisher = new TestPublisher(socket);
            using var closed = new CancellationTokenSource();
                var sending = Task.Run(async () =>
            {
                try
                {
                    for (var n = 0; !closed.IsCancellationRequested; n++)
                    {
                        var batch = Batch(clientId, n, 50);
                        lock (Sent)
                        {
                            Sent[$"{n}"] = batch;
                        }

                        await socket.SendAsync(IngestMessageJson.Serialize(new PublishMessage($"{n}", batch)), WebSocketMessageType.Text, true, closed.Token);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or WebSocketException)
                {
                    // The hub closed, or went away.
                }
            });

            try
            {
                while (await publisher.ReceiveAsync() is { } message)
                {
                    var ack = Assert.IsType<AckMessage>(message);
                    Acked[ack.Ref] = new PublishResult(ack.Count, ack.FirstId, ack.LastId);
                    if (Acked.Count == 5)
                    {
                        _flowing.TrySetResult();
                    }
                }

                Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, socket.CloseStatus);
            }
            finally
            {
                await closed.CancelAsync();
                await sending.OrTimeout(Timeout);
                if (socket.State == WebSocketState.CloseReceived)
                {
                    // Answer the hub's close, so its drain does not wait for the close handshake to time out.
                    await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).OrTimeout(Timeout);
                }
            }
        }

        /// <summary>Sends every batch again on a new connection and checks the answers of the acknowledged ones.</summary>
        public async Task ResendEverythingAsync(ChildHub hub)
        {
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(hub.WsUri($"v1/ingest?clientId={clientId}"), CancellationToken.None).OrTimeout(Timeout);
            var publisher = new TestPublisher(socket);
            foreach (var (key, batch) in Sent)
            {
                await publisher.PublishAsync(key, batch);
                var ack = Assert.IsType<AckMessage>(await publisher.ReceiveAsync());
                var result = new PublishResult(ack.Count, ack.FirstId, ack.LastId);
                if (Acked.TryGetValue(key, out var first))
                {
                    Assert.Equal(first, result);
                }

                Acked[key] = result;
            }

            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None).OrTimeout(Timeout);
        }
    }

    /// <summary>Posts 20-entry batches, each with its own Idempotency-Key, one after another, until the hub refuses.</summary>
    private sealed class HttpPoster(string clientId)
    {
        private readonly TaskCompletionSource _flowing = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Dictionary<string, LogEntry[]> Sent { get; } = [];

        public Dictionary<string, PublishResult> Acked { get; } = [];

        public Task Flowing => _flowing.Task;

        public async Task RunUntilRefusedAsync(HttpClient http)
        {
            for (var n = 0; ; n++)
            {
                var key = $"{clientId}/{n}";
                Sent[key] = Batch(clientId, n, 20);
                try
                {
                    using var response = await ChildHub.PostAsync(http, Sent[key], key).OrTimeout(Timeout);
                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
                        return;
                    }

                    Acked[key] = HttpBodyJson.ParsePublishResult(await response.Content.ReadAsByteArrayAsync());
                    if (Acked.Count == 5)
                    {
                        _flowing.TrySetResult();
                    }
                }
                catch (HttpRequestException)
                {
                    // The hub is gone: this batch may or may not be stored (its retry decides).
                    return;
                }
            }
        }

        public async Task ResendEverythingAsync(HttpClient http)
        {
            foreach (var (key, batch) in Sent)
            {
                using var response = await ChildHub.PostAsync(http, batch, key).OrTimeout(Timeout);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var result = HttpBodyJson.ParsePublishResult(await response.Content.ReadAsByteArrayAsync());
                if (Acked.TryGetValue(key, out var first))
                {
                    Assert.Equal(first, result);
                    Assert.Equal("true", Assert.Single(response.Headers.GetValues("Idempotent-Replayed")));
                }

                Acked[key] = result;
            }
        }
    }
}
