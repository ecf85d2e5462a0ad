using System.Diagnostics;
using System.Net.WebSockets;
using System.Threading.Channels;
using Lifeline.Client;

namespace Lifeline.Benchmarks.Client;

/// <summary>
/// Receive throughput of one client on loopback for 200-byte text messages pushed by a Kestrel server as fast as it
/// can, LifelineClient.ReadAllAsync against a bare ClientWebSocket read loop, and bytes allocated per message
/// (process-wide, so the server's share is in both; the difference is the client's). <c>client-receive [count] [--rounds N]</c>.
/// Bounded: 5 rounds by default, each a bare run, a copying bare run and a LifelineClient run back to back in this one
/// process; the figure is LifelineClient as a percentage of the bare loop, the median of the per-round ratios (which
/// holds up better than either rate on a machine whose load drifts) next to the ratio of the medians. Target (issue 12): at least 90%.
/// </summary>
internal sealed class ClientReceiveBench : IBenchCommand
{
    private const int Size = 200;
    private static byte[]? s_sink;

    public string Name => "client-receive";

    public string Description => "LifelineClient receive throughput (200-byte text) vs a bare ClientWebSocket loop; allocations per message";

    public async Task<int> RunAsync(string[] args)
    {
        var count = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 300_000;
        var rounds = BenchArgs.Int(args, "--rounds", 5);
        await using var server = await BenchServer.StartAsync();
        var uri = server.GetUri($"/push?count={count}&size={Size}");
        await BareAsync(uri, count / 10, copy: false);          // warm-up
        await LifelineAsync(uri, count / 10);

        // Each round runs every variant back to back; `--only NAME` runs one (to profile it).
        var variants = new (string Name, string Label, Func<Task<(double Rate, double Alloc)>> Run)[]
        {
            ("bare", "bare ClientWebSocket loop:  ", () => BareAsync(uri, count, copy: false)),
            ("copy", "bare loop + a copy per msg: ", () => BareAsync(uri, count, copy: true)),
            ("handoff", "bare loop + copy + hand-off:", () => HandOffAsync(uri, count)),
            ("lifeline", "LifelineClient.ReadAllAsync:", () => LifelineAsync(uri, count)),
        };
        var only = Array.IndexOf(args, "--only") is var at and >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        var runs = variants.Where(v => only is null || v.Name == only).ToDictionary(v => v.Name, _ => new List<Run>());
        for (var round = 0; round < rounds; round++)
        {
            foreach (var (name, _, run) in variants.Where(v => runs.ContainsKey(v.Name)))
            {
                var cpu = ProcessCpu();
                var (rate, alloc) = await run();
                runs[name].Add(new Run(rate, alloc, (ProcessCpu() - cpu).TotalMicroseconds / count));
            }
        }

        Console.WriteLine($"{count:N0} messages of {Size} bytes, {rounds} rounds (medians of {rounds}); CPU is the whole process's (the in-process server's share is in every variant)");
        foreach (var (name, label, _) in variants.Where(v => runs.ContainsKey(v.Name)))
        {
            var m = Median(runs[name]);
            Console.WriteLine($"{label} median {m.Rate,12:N0} msg/s   {m.Alloc,7:F1} B/msg allocated   {Median(runs[name], r => r.CpuMicroseconds).CpuMicroseconds,6:N2} µs CPU/msg (process)");
        }

        if (only is not null)
        {
            return 0;
        }

        var bare = runs["bare"];
        var lifeline = runs["lifeline"];
        var medianBare = Median(bare);
        var medianLifeline = Median(lifeline);
        var ratios = bare.Zip(lifeline, (b, l) => l.Rate / b.Rate).Order().ToArray();
        var copyRatios = runs["copy"].Zip(lifeline, (b, l) => l.Rate / b.Rate).Order().ToArray();
        Console.WriteLine($"vs the copying loop, ratio per round: median {copyRatios[copyRatios.Length / 2]:P1} (min {copyRatios[0]:P1}, max {copyRatios[^1]:P1})");
        Console.WriteLine($"LifelineClient / bare loop: median of per-round ratios {ratios[ratios.Length / 2]:P1} (min {ratios[0]:P1}, max {ratios[^1]:P1}), ratio of medians {medianLifeline.Rate / medianBare.Rate:P1}; target at least 90%");
        Console.WriteLine($"client allocations: {medianLifeline.Alloc - medianBare.Alloc:F1} B/msg (the exact-size copy of a {Size}-byte payload is {Size + 24} B of it)");
        return 0;
    }

    private static TimeSpan ProcessCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime;
    }

    private static Run Median(List<Run> rounds) => Median(rounds, r => r.Rate);

    private static Run Median(List<Run> rounds, Func<Run, double> by) => rounds.OrderBy(by).ElementAt(rounds.Count / 2);

    /// <summary>One variant's round: messages per second, bytes allocated per message and process CPU per message.</summary>
    private readonly record struct Run(double Rate, double Alloc, double CpuMicroseconds);

    private static async Task<(double Rate, double Alloc)> BareAsync(Uri uri, int count, bool copy)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, CancellationToken.None);
        var buffer = new byte[16 * 1024];
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        var received = 0;
        while (received < count)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            if (result.EndOfMessage)
            {
                received++;
                if (copy)
                {
                    s_sink = buffer.AsSpan(0, result.Count).ToArray(); // what owning each message costs
                }
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        return (count / elapsed.TotalSeconds, (double)bytes / count);
    }

    /// <summary>
    /// The bare loop plus what any client that queues messages for a reader does, and nothing else: an exact-size copy
    /// per message, handed in batches of up to 64 (flushed before the loop would wait on the socket, as LifelineClient
    /// does) through an unbounded single-reader channel to a reader on another task that reads with <c>await foreach</c>.
    /// LifelineClient against this is the cost of its own bookkeeping; this against the bare loop is the cost of the design.
    /// </summary>
    private static async Task<(double Rate, double Alloc)> HandOffAsync(Uri uri, int count)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(uri, CancellationToken.None);
        var channel = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var buffer = new byte[16 * 1024];
        var batch = new List<byte[]>(64);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        var reading = Task.Run(async () =>
        {
            var taken = 0;
            await foreach (var message in channel.Reader.ReadAllAsync())
            {
                if (++taken == count)
                {
                    return;
                }
            }
        });
        var received = 0;
        while (received < count)
        {
            var pending = socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
            if (!pending.IsCompleted)
            {
                Flush();
            }

            var result = await pending;
            if (result.EndOfMessage)
            {
                received++;
                batch.Add(buffer.AsSpan(0, result.Count).ToArray());
                if (batch.Count == 64)
                {
                    Flush();
                }
            }
        }

        Flush();
        await reading;
        var elapsed = Stopwatch.GetElapsedTime(started);
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        return (count / elapsed.TotalSeconds, (double)bytes / count);

        void Flush()
        {
            foreach (var message in batch)
            {
                channel.Writer.TryWrite(message);
            }

            batch.Clear();
        }
    }

    private static async Task<(double Rate, double Alloc)> LifelineAsync(Uri uri, int count)
    {
        await using var client = new LifelineClient(new LifelineClientOptions { Uri = uri, KeepAliveInterval = TimeSpan.Zero });
        await client.StartAsync(CancellationToken.None);
        await client.WaitUntilConnectedAsync(CancellationToken.None);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        var received = 0;
        await foreach (var message in client.ReadAllAsync(CancellationToken.None))
        {
            if (++received == count)
            {
                break;
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        return (count / elapsed.TotalSeconds, (double)bytes / count);
    }
}
