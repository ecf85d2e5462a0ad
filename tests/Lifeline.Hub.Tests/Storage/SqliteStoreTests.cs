using System.Diagnostics;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Hub.Tests.Storage;

public sealed class SqliteStoreTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("lifeline-sqlite-");

    private string Db => Path.Combine(_dir.FullName, "hub.db");

    public void Dispose() => _dir.Delete(recursive: true);

    private Task<HubHost> StartAsync(Action<HubOptions>? more = null) => HubHost.StartAsync(o =>
    {
        o.Store = HubStoreKind.Sqlite;
        o.SqlitePath = Db;
        more?.Invoke(o);
    });

    [Fact]
    public async Task Entries_SurviveARestart_AndIdsContinue()
    {
        await using (var hub = await StartAsync())
        {
            await hub.PostManyAsync(100);
        }

        await using var again = await StartAsync();
        Assert.Equal(new PublishResult(1, 101, 101), await again.PostManyAsync(1, first: 101));
        await using var sub = await again.SubscribeAsync("after=90");
        await sub.ReceiveEntriesAsync(11);
        Assert.Equal(Enumerable.Range(91, 11).Select(i => $"m{i}"), sub.Entries.Select(e => e.Message));
    }

    [Fact]
    public async Task RetentionByAge_DeletesOldEntries_AndResumeGetsARetentionGap()
    {
        var time = new ManualTimeProvider();
        await using var hub = await StartAsync(o =>
        {
            o.TimeProvider = time;
            o.RetentionMaxAge = TimeSpan.FromHours(1);
            o.RetentionInterval = TimeSpan.FromMinutes(1);
        });
        await hub.PostManyAsync(50);
        time.Advance(TimeSpan.FromMinutes(50));
        await hub.PostManyAsync(50, first: 51);

        // At 61 minutes the first 50 are older than an hour; the retention tick runs on the writer loop.
        await time.WaitForTimersAsync(2).OrTimeout();
        time.Advance(TimeSpan.FromMinutes(11));
        await WaitForOldestAsync(hub, 51);

        await using var sub = await hub.SubscribeAsync("after=0");
        Assert.IsType<HelloMessage>(await sub.ReceiveAsync());
        Assert.Equal(new GapMessage(1, 50, GapReasons.Retention), await sub.ReceiveAsync());
        await sub.ReceiveEntriesAsync(50);
        Assert.Equal(51, sub.Entries[0].Id);
    }

    [Fact]
    public async Task RetentionBySize_KeepsTheNewestWithinTheLimit_AndIdsAreNeverReused()
    {
        await using (var hub = await StartAsync(o => o.RetentionMaxBytes = 20_000))
        {
            for (var i = 0; i < 10; i++)
            {
                await hub.PostManyAsync(100, first: 1 + (i * 100));
            }

            var stats = await hub.StatsAsync();
            Assert.True(stats.GetProperty("storedBytes").GetInt64() <= 20_000);
            Assert.True(stats.GetProperty("oldestId").GetInt64() > 1);
            Assert.Equal(1000, stats.GetProperty("lastId").GetInt64());
        }

        await using var again = await StartAsync(o => o.RetentionMaxBytes = 20_000);
        Assert.Equal(1001, (await again.PostManyAsync(1)).FirstId);
    }

    private static async Task WaitForOldestAsync(HubHost hub, long oldest)
    {
        var store = hub.Core().Log;
        var watch = Stopwatch.StartNew();
        while (store.OldestId != oldest)
        {
            // The retention work item is queued behind the tick; a publish after it proves it ran (writer order).
            await hub.PostAsync();
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"oldest is {store.OldestId}");
        }
    }
}
