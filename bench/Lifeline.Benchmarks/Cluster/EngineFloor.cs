using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Lifeline.Benchmarks.Hub.Load;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// The engine's own delivery latency on the same servers, in the same run: what no hub can beat. One message per
/// entry, published on a schedule at the same rate to a second R3 file stream (<c>BENCHFLOOR</c>) through a connection
/// to the first server, without waiting for one ack before the next publish, and read by an ordered consumer (as a hub
/// node's mirror reads) through a connection to the second server; each message carries its send timestamp. Records
/// publish-to-ack and publish-to-consume latency. Everything it opens is closed before it returns.
/// </summary>
internal static class EngineFloor
{
    private const string Stream = "BENCHFLOOR";
    private const string Subject = "bench.floor";

    public static async Task<string> MeasureAsync(IReadOnlyList<string> engine, int rate, TimeSpan warmUp, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var publisherConnection = new NatsConnection(new NatsOpts { Url = engine[0], Name = "bench-floor-publisher" });
        await using var consumerConnection = new NatsConnection(new NatsOpts { Url = engine[1 % engine.Count], Name = "bench-floor-consumer" });
        var publisherJs = new NatsJSContext(publisherConnection);
        var consumerJs = new NatsJSContext(consumerConnection);
        await publisherJs.CreateStreamAsync(new StreamConfig(Stream, [Subject]) { NumReplicas = 3, Storage = StreamConfigStorage.File }, cancellationToken).ConfigureAwait(false);
        var delivered = new LatencyRecorder();
        var acked = new LatencyRecorder();
        long received = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var consumer = await consumerJs.CreateOrderedConsumerAsync(Stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        var consuming = Task.Run(async () =>
        {
            try
            {
                await foreach (var message in consumer.ConsumeAsync<byte[]>(cancellationToken: stop.Token).ConfigureAwait(false))
                {
                    delivered.Record(Stopwatch.GetTimestamp() - BinaryPrimitives.ReadInt64LittleEndian(message.Data));
                    Interlocked.Increment(ref received);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);

        var total = (int)(rate * (warmUp + duration).TotalSeconds);
        var pending = new List<Task>();
        var sendCpu = Process.GetCurrentProcess().TotalProcessorTime;
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(1)))
        {
            var start = Stopwatch.GetTimestamp();
            var next = 1;
            while (next <= total && await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                if (!delivered.Recording && Stopwatch.GetElapsedTime(start, now) >= warmUp)
                {
                    delivered.Recording = acked.Recording = true;
                }

                while (next <= total && start + (long)((next - 1) * (double)Stopwatch.Frequency / rate) <= now)
                {
                    pending.Add(PublishAsync(publisherJs, acked, cancellationToken));
                    next++;
                }
            }
        }

        await Task.WhenAll(pending).ConfigureAwait(false);
        var watch = Stopwatch.StartNew();
        while (Interlocked.Read(ref received) < total && watch.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }

        delivered.Recording = acked.Recording = false;
        await stop.CancelAsync().ConfigureAwait(false);
        await consuming.ConfigureAwait(false);
        await publisherJs.DeleteStreamAsync(Stream, CancellationToken.None).ConfigureAwait(false);
        return string.Create(CultureInfo.InvariantCulture,
            $"engine floor (NATS alone, same servers, R3 file stream, 1 message per entry at {rate:N0}/s, ordered consumer on another server): delivery p50 {delivered.PercentileMs(0.5):N2} ms, p99 {delivered.PercentileMs(0.99):N2} ms, p99.9 {delivered.PercentileMs(0.999):N2} ms, max {delivered.MaxMs:N1} ms; ack p50 {acked.PercentileMs(0.5):N2} ms, p99 {acked.PercentileMs(0.99):N2} ms; {Interlocked.Read(ref received):N0}/{total:N0} consumed");
    }

    private static async Task PublishAsync(NatsJSContext js, LatencyRecorder acked, CancellationToken cancellationToken)
    {
        var sentAt = Stopwatch.GetTimestamp();
        var data = new byte[200];
        BinaryPrimitives.WriteInt64LittleEndian(data, sentAt);
        var ack = await js.PublishAsync(Subject, data, cancellationToken: cancellationToken).ConfigureAwait(false);
        ack.EnsureSuccess();
        acked.Record(Stopwatch.GetTimestamp() - sentAt);
    }
}
