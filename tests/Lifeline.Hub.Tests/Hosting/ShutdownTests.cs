using System.Net;
using System.Net.WebSockets;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Hosting;

public class ShutdownTests
{
    [Fact]
    public async Task Stop_ClosesSubscribersWith1001_ResumePositionAndJitteredRetry()
    {
        await using var hub = await HubHost.StartAsync(o => o.ReconnectJitter = (TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(900)));
        await using var a = await hub.SubscribeAsync();
        await using var b = await hub.SubscribeAsync("level=error");
        await a.ReceiveUntilAsync<LiveMessage>();
        await b.ReceiveUntilAsync<LiveMessage>();
        await hub.PostManyAsync(10);
        await hub.PostManyAsync(1, first: 11, level: LogEntryLevel.Error);
        await hub.PostManyAsync(1, first: 12);
        await a.ReceiveEntriesAsync(12);
        await b.ReceiveEntriesAsync(1);

        await hub.StopAsync();

        foreach (var (sub, expected) in new[] { (a, 12L), (b, 11L) })
        {
            var (status, description) = await sub.ReceiveCloseAsync();
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
            Assert.True(CloseReason.TryParse(description, out var reason), description);
            Assert.Equal(expected, reason.ResumeAfter);
            Assert.InRange(reason.RetryAfterMs!.Value, 100, 900);
        }
    }

    [Fact]
    public async Task Stop_WhileASendIsPending_ResumeAfterCountsIt_AndIsExactlyTheLastIdReceived()
    {
        // The subscriber reads nothing while ~18 MB are published: Kestrel's output buffer and the socket buffers fill,
        // so a send is pending when the drain asks for the close. resumeAfter must count the frames that were being
        // sent, or a client resuming from it gets duplicates (docs/protocol.md: it is the largest id sent).
        await using var hub = await HubHost.StartAsync(o => o.SubscriberQueueBytes = 64L << 20);
        await using var sub = await hub.SubscribeAsync();
        await sub.ReceiveUntilAsync<LiveMessage>();
        var padding = new string('p', 560);
        for (var i = 0; i < 30_000; i += 1_000)
        {
            await hub.PostAsync([.. Enumerable.Range(i + 1, 1_000).Select(n => new LogEntry { Message = $"m{n} {padding}" })]);
        }

        var stopping = hub.StopAsync();
        var (status, description) = await sub.ReceiveCloseAsync();
        await stopping.OrTimeout(TimeSpan.FromSeconds(30));

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, status);
        Assert.True(CloseReason.TryParse(description, out var reason), description);
        Assert.NotEmpty(sub.Entries);
        Assert.Equal(sub.Entries[^1].Id, reason.ResumeAfter);
        Assert.Equal(Enumerable.Range(1, sub.Entries.Count).Select(i => (long)i), sub.Entries.Select(e => e.Id));
    }

    [Fact]
    public async Task Stop_FlushesPendingIngest_EveryAckedEntryIsStored()
    {
        var dir = Directory.CreateTempSubdirectory("lifeline-stop-");
        try
        {
            var db = Path.Combine(dir.FullName, "hub.db");
            var acked = new List<AckMessage>();
            await using (var hub = await HubHost.StartAsync(o =>
            {
                o.Store = HubStoreKind.Sqlite;
                o.SqlitePath = db;
            }))
            {
                await using var pub = await TestPublisher.ConnectAsync(hub);
                for (var i = 0; i < 200; i++)
                {
                    await pub.PublishAsync($"{i}", new LogEntry { Message = $"m{i}" });
                }

                // Stop only once the hub has taken at least one batch: publishes it never read are not
                // acknowledged (the client still holds them), so an empty ack list would prove nothing.
                acked.Add(Assert.IsType<AckMessage>(await pub.ReceiveAsync()));
                var stopping = hub.StopAsync();
                while (await pub.ReceiveAsync() is { } m)
                {
                    acked.Add(Assert.IsType<AckMessage>(m));
                }

                Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, pub.Socket.CloseStatus);
                await stopping.OrTimeout(TimeSpan.FromSeconds(30));
            }

            Assert.NotEmpty(acked);
            await using var reopened = await HubHost.StartAsync(o =>
            {
                o.Store = HubStoreKind.Sqlite;
                o.SqlitePath = db;
            });
            var page = HttpBodyJson.ParseQueryPage(await reopened.Http.GetByteArrayAsync("v1/logs?limit=1000"));
            var stored = page.Entries.ToDictionary(e => e.Id, e => e.Message);
            foreach (var ack in acked)
            {
                Assert.Equal($"m{ack.Ref}", stored[ack.FirstId]);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Stop_WhilePublishesArrive_EveryStoredBatchIsAcknowledged()
    {
        // Issue 11: a publish that reached an ingest socket after the drain began was stored, but its ack met a closed
        // answer queue and was never sent; its retry on the restarted hub was then stored a second time. Drain must ack
        // everything it stores (or store nothing): each round stops a hub while two publishers pipeline 200-entry
        // batches as fast as the socket takes them, and the acks received before the 1001 must cover every stored id.
        for (var round = 0; round < 10; round++)
        {
            await using var hub = await HubHost.StartAsync(o => o.MaxMessagesPerSecond = 1_000_000);
            var publishers = new[] { await TestPublisher.ConnectAsync(hub), await TestPublisher.ConnectAsync(hub) };
            try
            {
                var flowing = publishers.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
                var runs = publishers.Select((p, i) => PublishUntilClosedAsync(p, $"p{i}-", flowing[i])).ToArray();
                await Task.WhenAll(flowing.Select(f => f.Task)).OrTimeout(TimeSpan.FromSeconds(30));

                await hub.StopAsync();
                var acks = (await Task.WhenAll(runs).OrTimeout(TimeSpan.FromSeconds(30))).SelectMany(a => a).ToList();

                Assert.All(publishers, p => Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, p.Socket.CloseStatus));
                Assert.Equal(hub.Core().CommittedId, acks.Sum(a => (long)a.Count));
                Assert.Equal(Enumerable.Range(1, (int)hub.Core().CommittedId).Select(i => (long)i), acks.SelectMany(a => Enumerable.Range(0, a.Count).Select(i => a.FirstId + i)).Order());
            }
            finally
            {
                foreach (var p in publishers)
                {
                    await p.DisposeAsync();
                }
            }
        }
    }

    /// <summary>Publishes 200-entry batches without waiting for acks until the hub's close arrives; returns the acks.</summary>
    private static async Task<List<AckMessage>> PublishUntilClosedAsync(TestPublisher publisher, string prefix, TaskCompletionSource flowing)
    {
        using var closed = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            var batch = Enumerable.Range(0, 200).Select(i => new LogEntry { Message = $"entry {i}" }).ToArray();
            try
            {
                for (var n = 0; !closed.IsCancellationRequested; n++)
                {
                    await publisher.Socket.SendAsync(IngestMessageJson.Serialize(new PublishMessage($"{prefix}{n}", batch)), WebSocketMessageType.Text, true, closed.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException)
            {
                // The hub closed (or the receive side stopped us).
            }
        });

        var acks = new List<AckMessage>();
        while (await publisher.ReceiveAsync() is { } message)
        {
            acks.Add(Assert.IsType<AckMessage>(message));
            if (acks.Count == 5)
            {
                flowing.TrySetResult();
            }
        }

        await closed.CancelAsync();
        await sending.OrTimeout(TimeSpan.FromSeconds(30));
        return acks;
    }

    [Fact]
    public async Task Draining_HealthIs503_AndNewWorkIsRefusedWith503()
    {
        await using var hub = await HubHost.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await hub.Http.GetAsync("healthz")).StatusCode);
        hub.Core().BeginDrain();

        using var health = await hub.Http.GetAsync("healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("""{"status":"draining"}""", await health.Content.ReadAsStringAsync());
        using var post = await hub.PostRawAsync("[{\"message\":\"late\"}]", "application/json");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, post.StatusCode);

        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(hub.WsUri("v1/stream"), CancellationToken.None).OrTimeout());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, socket.HttpStatusCode);
    }
}
