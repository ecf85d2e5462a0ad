using System.Text;
using Lifeline.Hub.Storage;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Time;

namespace Lifeline.Hub.Tests.Storage;

/// <summary>
/// Issue 11, point 1: the idempotency memory survives a restart on the SQLite store (docs/protocol.md, "Retries without
/// duplicates"). Before the fix the memory was in the process only, so a retry after a restart was stored a second time.
/// The child-process kills and SIGTERMs are in <c>RestartTests</c>; these restart in-process hubs.
/// </summary>
public sealed class DurableIdempotencyTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lifeline-idem-");

    private string Db => Path.Combine(_dir.FullName, "hub.db");

    public void Dispose() => _dir.Delete(recursive: true);

    private Task<HubHost> StartAsync(Action<HubOptions>? more = null) => HubHost.StartAsync(o =>
    {
        o.Store = HubStoreKind.Sqlite;
        o.SqlitePath = Db;
        more?.Invoke(o);
    });

    [Fact]
    public async Task Post_RetriedAfterARestart_SameIdempotencyKey_GetsTheFirstIdsReplayed_AndIsStoredOnce()
    {
        var body = HubHost.SerializeArray([new LogEntry { Message = "a" }, new LogEntry { Message = "b" }]);
        string firstAnswer;
        await using (var hub = await StartAsync())
        {
            await hub.PostManyAsync(3);
            using var first = await hub.PostRawAsync(body, "application/json", idempotencyKey: "svc/1");
            firstAnswer = await first.Content.ReadAsStringAsync();
            Assert.Equal(new PublishResult(2, 4, 5), HttpBodyJson.ParsePublishResult(Encoding.UTF8.GetBytes(firstAnswer)));
        }

        await using var again = await StartAsync();
        using var retry = await again.PostRawAsync(body, "application/json", idempotencyKey: "svc/1");
        Assert.Equal(firstAnswer, await retry.Content.ReadAsStringAsync());
        Assert.Equal("true", Assert.Single(retry.Headers.GetValues("Idempotent-Replayed")));
        Assert.Equal(new PublishResult(1, 6, 6), await again.PostManyAsync(1, first: 6));
        Assert.Equal(["m1", "m2", "m3", "a", "b", "m6"], await MessagesAsync(again));
    }

    [Fact]
    public async Task Publish_RetriedAfterARestart_SameClientIdAndRef_GetsTheFirstAck_AndIsStoredOnce()
    {
        await using (var hub = await StartAsync())
        {
            await using var pub = await TestPublisher.ConnectAsync(hub, "clientId=svc-1");
            await pub.PublishAsync("7", new LogEntry { Message = "x" }, new LogEntry { Message = "y" });
            Assert.Equal(new AckMessage("7", 2, 1, 2), await pub.ReceiveAsync());
        }

        await using var again = await StartAsync();
        await using var retry = await TestPublisher.ConnectAsync(again, "clientId=svc-1");
        await retry.PublishAsync("7", new LogEntry { Message = "x" }, new LogEntry { Message = "y" });
        Assert.Equal(new AckMessage("7", 2, 1, 2), await retry.ReceiveAsync());

        // The same ref of another client is that client's own batch.
        await using var other = await TestPublisher.ConnectAsync(again, "clientId=svc-2");
        await other.PublishAsync("7", new LogEntry { Message = "z" });
        Assert.Equal(new AckMessage("7", 1, 3, 3), await other.ReceiveAsync());
        Assert.Equal(["x", "y", "z"], await MessagesAsync(again));
    }

    [Fact]
    public async Task MemoryStore_RetryAfterARestart_IsStoredAsANewBatch()
    {
        // docs/protocol.md: on the memory store the keys live as long as the process, like the entries.
        var body = HubHost.SerializeArray([new LogEntry { Message = "a" }]);
        await using (var hub = await HubHost.StartAsync())
        {
            await hub.PostManyAsync(2);
            (await hub.PostRawAsync(body, "application/json", idempotencyKey: "svc/1")).Dispose();
        }

        await using var again = await HubHost.StartAsync();
        using var retry = await again.PostRawAsync(body, "application/json", idempotencyKey: "svc/1");
        Assert.False(retry.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(new PublishResult(1, 1, 1), HttpBodyJson.ParsePublishResult(await retry.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task KeysAfterARestart_AreRememberedForTheWindow_ThenOnlyTheNewestCapacity()
    {
        // Capacity 1, window 10 min (docs/hub.md: "at least the last N, for at least T"), on the hub's clock.
        var time = new ManualTimeProvider();
        void Options(HubOptions o)
        {
            o.TimeProvider = time;
            o.IdempotencyCapacity = 1;
            o.IdempotencyWindow = TimeSpan.FromMinutes(10);
        }

        var one = HubHost.SerializeArray([new LogEntry { Message = "one" }]);
        var two = HubHost.SerializeArray([new LogEntry { Message = "two" }]);
        await using (var hub = await StartAsync(Options))
        {
            (await hub.PostRawAsync(one, "application/json", idempotencyKey: "k1")).Dispose();
            (await hub.PostRawAsync(two, "application/json", idempotencyKey: "k2")).Dispose();
        }

        time.Advance(TimeSpan.FromMinutes(9));
        await using (var hub = await StartAsync(Options))
        {
            // Inside the window both are remembered, though only one is within the capacity.
            Assert.Equal(new PublishResult(1, 1, 1), await ReplayedAsync(hub, one, "k1"));
            Assert.Equal(new PublishResult(1, 2, 2), await ReplayedAsync(hub, two, "k2"));
        }

        time.Advance(TimeSpan.FromMinutes(2));
        await using var later = await StartAsync(Options);
        Assert.Equal(new PublishResult(1, 2, 2), await ReplayedAsync(later, two, "k2"));
        using var forgotten = await later.PostRawAsync(one, "application/json", idempotencyKey: "k1");
        Assert.False(forgotten.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(new PublishResult(1, 3, 3), HttpBodyJson.ParsePublishResult(await forgotten.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task IdempotencyTable_IsTrimmedByTheSameRuleAsTheCache_AndSurvivesAReopen()
    {
        // 2,000 keys at t0, then 1,000 two minutes later, with limits of 10 keys / 1 minute: the trim that runs once
        // KeysPerTrim keys arrived after the clock moved forgets the 2,000 old ones and keeps every recent one.
        var limits = new IdempotencyLimits(10, TimeSpan.FromMinutes(1));
        var t0 = new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero).UtcTicks;
        await using (var store = new SqliteLogStore(Db, synchronousFull: false, maxBytes: null, limits))
        {
            await store.OpenAsync(CancellationToken.None);
            for (var i = 1; i <= 3_000; i++)
            {
                var ticks = i <= 2_000 ? t0 : t0 + TimeSpan.FromMinutes(2).Ticks;
                var entry = new StoredEntry(i, DateTimeOffset.UnixEpoch, ticks, LogEntryLevel.Information, "s", $"m{i}", Encoding.UTF8.GetBytes($$"""{"id":{{i}}}"""));
                await store.AppendAsync([entry], [new IdempotencyRecord($"k{i}", new PublishResult(1, i, i), ticks)], CancellationToken.None);
            }
        }

        await using var reopened = new SqliteLogStore(Db, synchronousFull: false, maxBytes: null, limits);
        await reopened.OpenAsync(CancellationToken.None);
        var kept = await reopened.ReadIdempotencyKeysAsync(CancellationToken.None);
        Assert.Equal(Enumerable.Range(2_001, 1_000).Select(i => $"k{i}"), kept.Select(k => k.Key));
        Assert.Equal(new PublishResult(1, 3_000, 3_000), kept[^1].Result);
        Assert.Equal(3_000, reopened.Count);
    }

    private static async Task<PublishResult> ReplayedAsync(HubHost hub, byte[] body, string key)
    {
        using var response = await hub.PostRawAsync(body, "application/json", idempotencyKey: key);
        Assert.Equal("true", Assert.Single(response.Headers.GetValues("Idempotent-Replayed")));
        return HttpBodyJson.ParsePublishResult(await response.Content.ReadAsByteArrayAsync());
    }

    private static async Task<List<string>> MessagesAsync(HubHost hub) =>
        [.. HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync("v1/logs?limit=1000")).Entries.Select(e => e.Message)];
}
