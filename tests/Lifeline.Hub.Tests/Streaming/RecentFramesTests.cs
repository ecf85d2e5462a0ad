using Lifeline.Hub.Streaming;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;

namespace Lifeline.Hub.Tests.Streaming;

/// <summary>
/// Catch-up over recent ids is served from the live frames already built (<see cref="RecentFrames"/>), so a resuming
/// subscriber receives the same frames as the live ones, and still every entry exactly once in order.
/// </summary>
public class RecentFramesTests
{
    private static SharedFrame Frame(long first, long last, int bytes = 100) => SharedFrame.FromPayload(new byte[bytes], first, last, (int)(last - first + 1));

    /// <summary>An unfiltered live subscriber (so live frames are built and held) that has received 10 posts of 7 entries.</summary>
    private static async Task<TestSubscriber> PublishTenFramesOfSevenAsync(HubHost hub)
    {
        var live = await hub.SubscribeAsync();
        await live.ReceiveUntilAsync<LiveMessage>();
        for (var i = 0; i < 10; i++)
        {
            await hub.PostManyAsync(7, first: 1 + (i * 7));
        }

        await live.ReceiveEntriesAsync(70);
        return live;
    }

    [Fact]
    public void Find_ReturnsTheFrameStartingThere_OrWhereTheNextOneStarts()
    {
        var recent = new RecentFrames(1_000);
        recent.Add(Frame(1, 7));
        recent.Add(Frame(8, 14));
        recent.Add(Frame(15, 21));

        Assert.Equal(8, recent.Find(8, 100, 100, out _)!.FirstId);
        Assert.Null(recent.Find(8, 13, 100, out _));            // it would pass the reader's target
        Assert.Null(recent.Find(8, 100, 101, out _));           // too small to be worth a send of its own
        Assert.Null(recent.Find(10, 100, 100, out var next));   // mid-frame: read the store up to 14
        Assert.Equal(15, next);
        Assert.Null(recent.Find(22, 100, 100, out next));
        Assert.Equal(0, next);
    }

    [Fact]
    public void Add_EvictsTheOldestPastTheBound_AndIgnoresFilteredFrames()
    {
        var recent = new RecentFrames(250);
        recent.Add(Frame(1, 7));
        recent.Add(Frame(8, 14));
        recent.Add(Frame(15, 21));
        recent.Add(SharedFrame.FromPayload(new byte[10], 22, 30, 2));   // filtered (not contiguous): never served

        Assert.Equal(200, recent.Bytes);
        Assert.Null(recent.Find(1, 100, 0, out var next));
        Assert.Equal(8, next);
        Assert.Null(recent.Find(22, 100, 0, out _));
    }

    [Fact]
    public async Task Resume_WithinRecentFrames_GetsTheLiveFrames_AfterAlignment_EveryEntryOnceInOrder()
    {
        // Frames of 7 entries (~650 bytes) are worth serving when frames are at most 1 KiB.
        await using var hub = await HubHost.StartAsync(o => o.MaxFrameBytes = 1024);
        await using var live = await PublishTenFramesOfSevenAsync(hub);
        Assert.All(live.Messages.OfType<EntriesMessage>(), m => Assert.Equal(7, m.Entries.Count));

        // after=3 is mid-frame: ids 4-7 come from the store, then the live frames of 7 as they were.
        await using var resumed = await hub.SubscribeAsync("after=3");
        await resumed.ReceiveEntriesAsync(67);
        Assert.Equal(Enumerable.Range(4, 67).Select(i => (long)i), resumed.Entries.Select(e => e.Id));
        Assert.Equal([4, 7, 7, 7, 7, 7, 7, 7, 7, 7], resumed.Messages.OfType<EntriesMessage>().Select(m => m.Entries.Count));
    }

    [Fact]
    public async Task Resume_WithRecentFramesOff_IsServedFromTheStore()
    {
        await using var hub = await HubHost.StartAsync(o =>
        {
            o.MaxFrameBytes = 1024;
            o.RecentFramesBytes = 0;
        });
        await using var live = await PublishTenFramesOfSevenAsync(hub);

        await using var resumed = await hub.SubscribeAsync("after=3");
        await resumed.ReceiveEntriesAsync(67);
        Assert.Equal(Enumerable.Range(4, 67).Select(i => (long)i), resumed.Entries.Select(e => e.Id));
        Assert.True(resumed.Messages.OfType<EntriesMessage>().Count() < 9, "store pages make fuller frames than the live ones");
    }

    [Fact]
    public async Task Resume_OverSmallLiveFrames_IsServedFromTheStoresFullerFrames()
    {
        // At the default 64 KiB frames, frames of 7 entries are too small to be worth a send each.
        await using var hub = await HubHost.StartAsync();
        await using var live = await PublishTenFramesOfSevenAsync(hub);

        await using var resumed = await hub.SubscribeAsync("after=3");
        await resumed.ReceiveEntriesAsync(67);
        Assert.Equal(Enumerable.Range(4, 67).Select(i => (long)i), resumed.Entries.Select(e => e.Id));
        Assert.Equal([67], resumed.Messages.OfType<EntriesMessage>().Select(m => m.Entries.Count));
    }
}
