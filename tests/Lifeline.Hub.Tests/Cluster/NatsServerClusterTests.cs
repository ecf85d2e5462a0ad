using Lifeline.Testing.Tasks;
using Lifeline.Tests.Shared;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Lifeline.Hub.Tests.Cluster;

/// <summary>The test fixture itself: three real nats-server processes that form a JetStream cluster and survive a kill.</summary>
public sealed class NatsServerClusterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StartAsync_ThreeServers_ReplicatedStreamAcksAndAServerRejoinsAfterKill()
    {
        await using var cluster = await NatsServerCluster.StartAsync();
        Assert.Equal(3, cluster.Count);
        Assert.DoesNotContain(cluster.Urls, u => u.EndsWith(":4222", StringComparison.Ordinal));

        await using (var nats = new NatsConnection(new NatsOpts { Url = string.Join(',', cluster.Urls) }))
        {
            var js = new NatsJSContext(nats);
            var stream = await js.CreateStreamAsync(new StreamConfig("FIXTURE", ["fixture.>"]) { NumReplicas = 3, Storage = StreamConfigStorage.File }).AsTask().OrTimeout(Timeout);
            Assert.Equal(3, stream.Info.Config.NumReplicas);
            var ack = await js.PublishAsync("fixture.a", "one"u8.ToArray()).AsTask().OrTimeout(Timeout);
            ack.EnsureSuccess();
            Assert.Equal(1ul, ack.Seq);
        }

        await cluster.KillServerAsync(1);
        Assert.False(cluster.IsRunning(1));

        // The same ports and store: it finds the meta leader again and serves the stream it stored.
        await cluster.StartServerAsync(1);
        Assert.True(cluster.IsRunning(1));
        await using (var nats = new NatsConnection(new NatsOpts { Url = cluster.Urls[1] }))
        {
            var js = new NatsJSContext(nats);
            var info = await js.GetStreamAsync("FIXTURE").AsTask().OrTimeout(Timeout);
            Assert.Equal(1ul, info.Info.State.LastSeq);
        }
    }
}
