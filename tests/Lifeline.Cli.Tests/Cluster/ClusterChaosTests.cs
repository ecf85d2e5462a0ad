using System.Diagnostics;
using System.Net;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Cli.Tests.Cluster;

/// <summary>
/// Issue 13, must-show point 8: 100,000 entries published through three nodes while nodes and engine servers are killed
/// with SIGKILL and started again; every subscriber, moving to another node whenever its node dies, ends with every
/// acked entry exactly once, in order. Bounded: a fixed number of kills, each triggered by publishing progress (not by
/// time), and an overall deadline; the seed of the random choices is printed so a failure can be replayed.
/// </summary>
[Collection(ClusterProcessCollection.Name)]
public sealed class ClusterChaosTests(ITestOutputHelper output)
{
    private const int Requests = 1_000;
    private const int PerRequest = 100;
    private const int Kills = 8;
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(12);

    [Fact]
    public async Task HundredThousandEntries_ThroughRandomNodeAndEngineServerKills_EverySubscriberGetsEveryAckedEntryOnceInOrder()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var clock = Stopwatch.StartNew();
        await using var cluster = await LocalCluster.StartAsync();
        using var stop = new CancellationTokenSource();
        var subscribers = new List<ClusterSubscriber>();
        var followers = new List<Task>();
        try
        {
            foreach (var node in cluster.Nodes)
            {
                var subscriber = await ClusterSubscriber.ConnectAsync($"sub-{node.Name}", node);
                subscribers.Add(subscriber);
                followers.Add(FollowAsync(cluster, subscriber, stop.Token));
            }

            var progress = new Progress();
            var acks = new Dictionary<string, PublishResult>();

            // Publishing goes in slices, one per kill: each kill comes near the end of a slice and the next slice is
            // opened at once, so every kill lands while publishers have work, and some is done while it is down.
            const int Slice = Requests / (Kills + 1);
            progress.Open(Slice);
            var publishers = Enumerable.Range(0, 3).Select(p => PublishAsync(cluster, p, progress, acks)).ToList();
            var events = new List<string>();
            for (var k = 1; k <= Kills; k++)
            {
                await progress.WaitForAsync(((k * Slice) - 3) * PerRequest).WaitAsync(Deadline - clock.Elapsed);
                var atKill = progress.Value;
                var whileDown = atKill + (3 * PerRequest);
                progress.Open(k == Kills ? Requests : (k + 1) * Slice);
                if (random.Next(2) == 0)
                {
                    var node = cluster.Nodes[random.Next(cluster.Nodes.Count)];
                    await node.KillAsync();
                    await progress.WaitForAsync(whileDown).WaitAsync(Deadline - clock.Elapsed);
                    await node.RestartAsync();
                    await LocalCluster.WaitHealthyAsync(node);
                    events.Add($"{clock.Elapsed.TotalSeconds:0.0}s node {node.Name} at {atKill} acked");
                }
                else
                {
                    var server = random.Next(cluster.Engine.Count);
                    await cluster.Engine.KillServerAsync(server);
                    await progress.WaitForAsync(whileDown).WaitAsync(Deadline - clock.Elapsed);
                    await cluster.Engine.StartServerAsync(server);
                    events.Add($"{clock.Elapsed.TotalSeconds:0.0}s engine {cluster.Engine.Name(server)} at {atKill} acked");
                }
            }

            await Task.WhenAll(publishers).WaitAsync(Deadline - clock.Elapsed);
            var last = acks.Values.Max(a => a.LastId);
            output.WriteLine($"kills: {string.Join(", ", events)}; {acks.Count} requests acked, last id {last}, published in {clock.Elapsed.TotalSeconds:0} s");
            Assert.Equal(Requests * PerRequest, last);
            foreach (var subscriber in subscribers)
            {
                while (subscriber.LastId < last)
                {
                    try
                    {
                        await subscriber.WaitForAsync(last).WaitAsync(Deadline - clock.Elapsed);
                    }
                    catch (InvalidOperationException)
                    {
                        // Its connection ended (a node killed late): the follower moves it; wait on the next one.
                        await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
                    }
                }
            }

            await stop.CancelAsync();
            await Task.WhenAll(followers).OrTimeout(TimeSpan.FromSeconds(60));
            foreach (var subscriber in subscribers)
            {
                var entries = subscriber.Entries;
                output.WriteLine($"{subscriber.Name}: {entries.Count} entries over {subscriber.Connections} connections");
                Assert.Empty(subscriber.OrderViolations);
                Assert.Empty(subscriber.Gaps);
                Assert.Equal(Requests * PerRequest, entries.Count);
                Assert.Equal(last, entries[^1].Id);
                ClusterPublisher.AssertEachAckedEntryExactlyOnce(acks, entries);
            }
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(followers).OrTimeout(TimeSpan.FromSeconds(60)).ContinueWith(_ => { }, TaskScheduler.Default);
            foreach (var subscriber in subscribers)
            {
                await subscriber.DisposeAsync();
            }
        }
    }

    /// <summary>Publisher <paramref name="p"/>: its share of the requests, each retried with the same key on the next node until acked.</summary>
    private static async Task PublishAsync(LocalCluster cluster, int p, Progress progress, Dictionary<string, PublishResult> acks)
    {
        var target = p;
        for (var r = p; r < Requests; r += 3)
        {
            await progress.EnterAsync();
            var key = $"p{p}/{r}";
            while (true)
            {
                var node = cluster.Nodes[target % cluster.Nodes.Count];
                try
                {
                    if (node.IsRunning)
                    {
                        var answer = await ClusterPublisher.PostAsync(node, key, PerRequest);
                        if (answer.Status == HttpStatusCode.OK)
                        {
                            lock (acks)
                            {
                                acks[key] = answer.Ack!;
                            }

                            progress.Add(PerRequest);
                            break;
                        }
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // The node died under the request, or did not answer in time: the same key goes to the next node.
                }

                target++;
                await Task.Delay(TimeSpan.FromMilliseconds(50), TimeProvider.System, CancellationToken.None);
            }
        }
    }

    /// <summary>Keeps <paramref name="subscriber"/> connected: when its connection ends, it resumes on a healthy running node after the last id it holds.</summary>
    private static async Task FollowAsync(LocalCluster cluster, ClusterSubscriber subscriber, CancellationToken stop)
    {
        var next = cluster.Nodes.IndexOf(subscriber.Node!);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = stop.Register(() => stopped.TrySetResult());
        while (!stop.IsCancellationRequested)
        {
            if (await Task.WhenAny(subscriber.Closed, stopped.Task) == stopped.Task)
            {
                return;
            }

            next++;
            var node = cluster.Nodes[next % cluster.Nodes.Count];
            try
            {
                if (node.IsRunning)
                {
                    using var health = await node.Http.GetAsync(node.Url("healthz"), stop);
                    if (health.StatusCode == HttpStatusCode.OK)
                    {
                        await subscriber.MoveToAsync(node);
                        continue;
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or System.Net.WebSockets.WebSocketException or OperationCanceledException or TimeoutException)
            {
                // That node is going down or not back yet: try the next.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), TimeProvider.System, CancellationToken.None);
        }
    }

    /// <summary>
    /// Acked entries so far, with waits on thresholds (signalled by the publishers, not polled), and the gate of
    /// requests publishers may start.
    /// </summary>
    private sealed class Progress
    {
        private readonly Lock _lock = new();
        private long _value;
        private long _allowed;
        private long _started;
        private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Lets publishers start requests up to <paramref name="requests"/> in all.</summary>
        public void Open(long requests)
        {
            TaskCompletionSource opened;
            lock (_lock)
            {
                _allowed = requests;
                opened = _opened;
                _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            opened.TrySetResult();
        }

        /// <summary>Waits until one more request may start, and counts it.</summary>
        public async Task EnterAsync()
        {
            while (true)
            {
                Task opened;
                lock (_lock)
                {
                    if (_started < _allowed)
                    {
                        _started++;
                        return;
                    }

                    opened = _opened.Task;
                }

                await opened;
            }
        }

        public long Value
        {
            get
            {
                lock (_lock)
                {
                    return _value;
                }
            }
        }

        public void Add(long n)
        {
            TaskCompletionSource changed;
            lock (_lock)
            {
                _value += n;
                changed = _changed;
                _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        }

        public async Task WaitForAsync(long threshold)
        {
            while (true)
            {
                Task changed;
                lock (_lock)
                {
                    if (_value >= threshold)
                    {
                        return;
                    }

                    changed = _changed.Task;
                }

                await changed;
            }
        }
    }
}
