using System.Diagnostics;
using System.Globalization;
using System.Text;
using Lifeline.Hub.Storage;
using Lifeline.Protocol;

namespace Lifeline.Benchmarks.Storage;

/// <summary>
/// <c>store-append [--entries N] [--batch B] [--full]</c>: the SQLite store alone, appending prebuilt ~200-byte entries
/// in writer-sized batches to a fresh file; prints entries/s and the process CPU time per entry (steadier than
/// wall time on a shared machine). Bounded by the entry count (default 1,000,000).
/// </summary>
public sealed class StoreAppendCommand : IBenchCommand
{
    /// <inheritdoc />
    public string Name => "store-append";

    /// <inheritdoc />
    public string Description => "SQLite store append throughput and CPU per entry, without HTTP (prebuilt entries)";

    /// <inheritdoc />
    public async Task<int> RunAsync(string[] args)
    {
        var total = BenchArgs.Int(args, "--entries", 1_000_000);
        var batchSize = BenchArgs.Int(args, "--batch", 2_000);
        var dir = Directory.CreateTempSubdirectory("lifeline-store-append-");
        try
        {
            await using var store = new SqliteLogStore(Path.Combine(dir.FullName, "hub.db"), synchronousFull: args.Contains("--full"), maxBytes: null);
            await store.OpenAsync(CancellationToken.None);
            var batches = Enumerable.Range(0, 16).Select(b => MakeBatch(b, batchSize)).ToArray();

            // Warm up (JIT, file growth), then measure from a fresh id range.
            long id = 0;
            id = await AppendAsync(store, batches, id, Math.Min(total / 10, 100_000));
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            id = await AppendAsync(store, batches, id, total);
            watch.Stop();
            var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"store-append: {total / watch.Elapsed.TotalSeconds:N0} entries/s, {used.TotalMicroseconds / total:N2} us CPU per entry ({total:N0} in batches of {batchSize:N0}, {store.Bytes / (double)store.Count:N0} JSON bytes each)"));
            return 0;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<long> AppendAsync(SqliteLogStore store, List<StoredEntry>[] batches, long id, int count)
    {
        for (var done = 0; done < count; done += batches[0].Count)
        {
            var template = batches[(int)(id / batches[0].Count % batches.Length)];
            var batch = template.Select(e => new StoredEntry(++id, e.Timestamp, e.ReceivedTicks, e.Level, e.Source, e.Message, e.Json)).ToList();
            await store.AppendAsync(batch, [], CancellationToken.None);
        }

        return id;
    }

    private static List<StoredEntry> MakeBatch(int seed, int size)
    {
        var random = new Random(seed);
        var now = new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero);
        return [.. Enumerable.Range(0, size).Select(i =>
        {
            var source = $"service-{random.Next(8)}";
            var message = $"request {random.Next()} handled in {random.Next(1000)} ms " + new string('x', 60 + random.Next(40));
            var json = Encoding.UTF8.GetBytes($$"""{"id":{{i}},"ts":"2026-12-02T00:00:00Z","level":"information","source":"{{source}}","message":"{{message}}","props":{"k":{{i}}} }""");
            return new StoredEntry(0, now, now.UtcTicks, LogEntryLevel.Information, source, message, json);
        })];
    }

}
