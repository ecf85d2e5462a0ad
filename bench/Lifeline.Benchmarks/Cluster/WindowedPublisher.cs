using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using Lifeline.Benchmarks.Hub.Load;

namespace Lifeline.Benchmarks.Cluster;

/// <summary>
/// One <c>/v1/ingest</c> connection publishing prebuilt <c>batch</c>-entry messages as fast as the hub acks them, with at
/// most <c>window</c> publishes unacked (as a batching client pipelines), until the run's shared budget of entries is
/// taken. Acks come in publish order on one connection, so each is matched to its publish's send time (ack latency).
/// Sending and receiving run concurrently; the shared counters are interlocked.
/// </summary>
internal sealed class WindowedPublisher
{
    private static readonly TimeSpan AckDeadline = TimeSpan.FromSeconds(60);
    private readonly PublishTemplate _template;
    private readonly int _batch;
    private readonly SemaphoreSlim _window;
    private readonly ConcurrentQueue<long> _sentAt = new();
    private long _acked;
    private long _errors;
    private long _sent;

    public WindowedPublisher(int batch, int entryBytes, int window)
    {
        _batch = batch;
        _template = new PublishTemplate(batch, entryBytes);
        _window = new SemaphoreSlim(window, window);
    }

    public long Acked => Interlocked.Read(ref _acked);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>
    /// Publishes to <paramref name="hub"/> (a <c>ws://</c> base) while <paramref name="budget"/> (entries left to start,
    /// shared by every publisher of the run) lasts, then waits (bounded) for the outstanding acks.
    /// </summary>
    public async Task RunAsync(Uri hub, StrongBox<long> budget, LatencyRecorder ackLatency, CancellationToken cancellationToken)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri(hub, "v1/ingest"), cancellationToken).ConfigureAwait(false);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var receiving = ReceiveAcksAsync(socket, ackLatency, stop.Token);
        try
        {
            while (Interlocked.Add(ref budget.Value, -_batch) >= 0)
            {
                await _window.WaitAsync(cancellationToken).ConfigureAwait(false);
                var now = Stopwatch.GetTimestamp();
                _sentAt.Enqueue(now);
                await socket.SendAsync(_template.Stamp(now), WebSocketMessageType.Text, true, cancellationToken).ConfigureAwait(false);
                _sent++;
            }

            var watch = Stopwatch.StartNew();
            while (Acked + Errors < _sent * _batch && watch.Elapsed < AckDeadline && !receiving.IsCompleted)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(10), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await receiving.ConfigureAwait(false);
            socket.Abort();
        }
    }

    private async Task ReceiveAcksAsync(ClientWebSocket socket, LatencyRecorder ackLatency, CancellationToken cancellationToken)
    {
        var buffer = new byte[64 << 10];
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var now = Stopwatch.GetTimestamp();
                if (_sentAt.TryDequeue(out var sentAt))
                {
                    ackLatency.Record(now - sentAt);
                }

                if (buffer.AsSpan(0, result.Count).IndexOf("\"type\":\"ack\""u8) >= 0)
                {
                    Interlocked.Add(ref _acked, _batch);
                }
                else
                {
                    Interlocked.Add(ref _errors, _batch);
                }

                _window.Release();
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }
}
