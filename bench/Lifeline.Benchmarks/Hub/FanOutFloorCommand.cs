using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lifeline.Benchmarks.Hub.Load;

namespace Lifeline.Benchmarks.Hub;

/// <summary>
/// <c>hub-floor [--subscribers N] [--rate R] [--seconds S]</c>: the latency scenario without a hub. One thread pinned
/// to core 0 writes, every 10 ms, one pre-built WebSocket text frame holding R/100 timestamped ~200-byte entries to
/// each of N loopback TCP sockets with plain blocking sends; the same lean subscribers and epoll thread as hub-load
/// read them on core 1. What it reports is the floor that the kernel's loopback TCP and this machine put under any
/// hub's fan-out: latency p50/p99 and the sender's time per round of N sends.
/// </summary>
public sealed class FanOutFloorCommand : IBenchCommand
{
    /// <inheritdoc />
    public string Name => "hub-floor";

    /// <inheritdoc />
    public string Description => "Latency floor of a 100-socket loopback fan-out with no hub (raw blocking sends, core 0 -> core 1)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args)
    {
        var count = BenchArgs.Int(args, "--subscribers", 100);
        var rate = BenchArgs.Int(args, "--rate", 2_000);
        var seconds = BenchArgs.Int(args, "--seconds", 10);
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(count);
        var latency = new LatencyRecorder();
        var senders = new List<Socket>(count);
        var subscribers = new List<LeanSubscriber>(count);
        for (var i = 0; i < count; i++)
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            client.Connect(listener.LocalEndPoint!);
            var server = listener.Accept();
            server.NoDelay = true;
            senders.Add(server);
            subscribers.Add(LeanSubscriber.OnConnectedSocket(client, 256 * 1024, latency));
        }

        var rounds = new List<double>();
        await using (var epoll = EpollLoop.Start(subscribers, cpu: 1))
        {
            var sender = new Thread(() => SendRounds(senders, Math.Max(1, rate / 100), latency, TimeSpan.FromSeconds(seconds), rounds)) { Name = "floor-sender" };
            sender.Start();
            await Task.Run(sender.Join);
        }

        foreach (var s in senders)
        {
            s.Dispose();
        }

        foreach (var s in subscribers)
        {
            await s.DisposeAsync();
        }

        rounds.Sort();
        Console.WriteLine($"hub-floor: p50 {latency.PercentileMs(0.5):N2} ms, p99 {latency.PercentileMs(0.99):N2} ms, max {latency.MaxMs:N1} ms over {latency.Count:N0} entries; "
            + $"one round of {count} sends takes p50 {rounds[rounds.Count / 2] * 1000:N0} µs, p99 {rounds[(int)(rounds.Count * 0.99)] * 1000:N0} µs on the sender [sender on core 0, readers on core 1]");
        return 0;
    }

    private static void SendRounds(List<Socket> sockets, int perTick, LatencyRecorder latency, TimeSpan duration, List<double> rounds)
    {
        ThreadAffinity.PinCurrentThread(0);
        var tick = Stopwatch.Frequency / 100;
        var start = Stopwatch.GetTimestamp();
        var warmUpEnd = start + (2 * Stopwatch.Frequency);
        var end = warmUpEnd + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        for (var next = start; next < end; next += tick)
        {
            var wait = next - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                Thread.Sleep(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
            }

            latency.Recording = Stopwatch.GetTimestamp() >= warmUpEnd;
            var frame = Frame(perTick, Stopwatch.GetTimestamp());
            var before = Stopwatch.GetTimestamp();
            foreach (var socket in sockets)
            {
                socket.Send(frame);
            }

            if (latency.Recording)
            {
                rounds.Add((Stopwatch.GetTimestamp() - before) * 1000.0 / Stopwatch.Frequency);
            }
        }

        latency.Recording = false;
    }

    /// <summary>An unmasked server text frame with an <c>entries</c> message shaped like the hub's.</summary>
    private static byte[] Frame(int entries, long timestamp)
    {
        var entry = $"{{\"id\":{{0}},\"ts\":\"2026-12-02T00:00:00.0000000+00:00\",\"level\":\"information\",\"source\":\"bench\",\"message\":\"{timestamp} {LoadTraffic.Padding(200)}\"}}";
        var json = Encoding.UTF8.GetBytes("{\"type\":\"entries\",\"entries\":[" + string.Join(",", Enumerable.Range(1, entries).Select(i => entry.Replace("{0}", i.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal))) + "]}");
        var header = json.Length < 126 ? 2 : json.Length <= ushort.MaxValue ? 4 : 10;
        var frame = new byte[header + json.Length];
        frame[0] = 0x81;
        if (header == 2)
        {
            frame[1] = (byte)json.Length;
        }
        else if (header == 4)
        {
            frame[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)json.Length);
        }
        else
        {
            frame[1] = 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)json.Length);
        }

        json.CopyTo(frame, header);
        return frame;
    }
}
