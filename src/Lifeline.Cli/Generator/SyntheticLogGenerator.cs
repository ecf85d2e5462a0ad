using System.Buffers;
using System.Text.Json;

namespace Lifeline.Cli.Generator;

/// <summary>
/// Plausible logs for the demo: several sources, every level (mostly information, some warnings, rare errors and
/// criticals), structured properties, and periodic bursts where one source fails loudly. Time comes from the
/// options' <see cref="TimeProvider"/>: each tick publishes <c>Rate × Tick</c> entries (the fraction carried over),
/// plus a burst when one is due. Not thread-safe: one <see cref="RunAsync"/> at a time.
/// </summary>
internal sealed class SyntheticLogGenerator
{
    private static readonly string[] s_sources = ["api", "auth", "db", "billing", "worker", "gateway"];

    // Cumulative weights of trace, debug, information, warning, error, critical.
    private static readonly (int Weight, string Level)[] s_levels = [(6, "trace"), (18, "debug"), (70, "information"), (88, "warning"), (98, "error"), (100, "critical")];

    private static readonly Dictionary<string, string[]> s_messages = new()
    {
        ["api"] = ["GET /orders/{0} answered 200", "POST /checkout took {1} ms", "rate limit near for client {0}", "request {0} cancelled by the caller"],
        ["auth"] = ["user {0} signed in", "token refreshed for user {0}", "password check failed for user {0}", "session {0} expired"],
        ["db"] = ["query on orders took {1} ms", "connection pool at {2}% capacity", "deadlock retried on table invoices", "replica lag {1} ms"],
        ["billing"] = ["invoice {0} issued", "payment {0} captured", "card declined for invoice {0}", "refund {0} queued"],
        ["worker"] = ["job {0} started", "job {0} finished in {1} ms", "job {0} retried (attempt {2})", "queue depth {1}"],
        ["gateway"] = ["upstream api healthy", "upstream db slow ({1} ms)", "tls handshake failed from {0}", "circuit opened for billing"],
    };

    private readonly LogGeneratorOptions _options;
    private readonly Random _random;
    private double _carry;
    private DateTimeOffset _nextBurst;
    private long _sequence;

    public SyntheticLogGenerator(LogGeneratorOptions options)
    {
        options.Validate();
        _options = options;
        _random = options.Seed is { } seed ? new Random(seed) : new Random();
        _nextBurst = options.Time.GetUtcNow() + options.BurstEvery;
    }

    /// <summary>Entries generated so far.</summary>
    public long Generated => _sequence;

    /// <summary>
    /// Publishes one NDJSON batch per tick until cancelled. A failing publish (the hub restarting) is reported to
    /// <paramref name="onError"/> and that tick's batch is dropped: the demo keeps going.
    /// </summary>
    public async Task RunAsync(Func<ReadOnlyMemory<byte>, CancellationToken, Task> publish, Action<Exception>? onError, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.Tick, _options.Time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var batch = NextTick();
                if (batch.Count == 0)
                {
                    continue;
                }

                try
                {
                    await publish(ToNdjson(batch), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
                {
                    onError?.Invoke(exception);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: the normal end.
        }
    }

    /// <summary>The entries of one tick at the provider's current time.</summary>
    public IReadOnlyList<GeneratedEntry> NextTick()
    {
        var now = _options.Time.GetUtcNow();
        _carry += _options.Rate * _options.Tick.TotalSeconds;
        var count = (int)_carry;
        _carry -= count;
        var entries = new List<GeneratedEntry>(count);
        for (var i = 0; i < count; i++)
        {
            entries.Add(Steady(now));
        }

        if (_options.BurstEvery > TimeSpan.Zero && now >= _nextBurst)
        {
            _nextBurst = now + _options.BurstEvery;
            entries.AddRange(Burst(now));
        }

        return entries;
    }

    private GeneratedEntry Steady(DateTimeOffset now)
    {
        var roll = _random.Next(100);
        var level = s_levels.First(l => roll < l.Weight).Level;
        var source = s_sources[_random.Next(s_sources.Length)];
        var templates = s_messages[source];
        var a = _random.Next(1000, 99999);
        var b = _random.Next(1, 2000);
        var c = _random.Next(1, 100);
        var message = string.Format(System.Globalization.CultureInfo.InvariantCulture, templates[_random.Next(templates.Length)], a, b, c);
        return new GeneratedEntry(now, level, source, message, new Dictionary<string, object> { ["seq"] = ++_sequence, ["ms"] = b });
    }

    private IEnumerable<GeneratedEntry> Burst(DateTimeOffset now)
    {
        // One source failing loudly: mostly errors, escalating to critical, as an outage looks in a log.
        var source = s_sources[_random.Next(s_sources.Length)];
        for (var i = 0; i < _options.BurstSize; i++)
        {
            var level = i % 50 == 49 ? "critical" : i % 4 == 0 ? "warning" : "error";
            yield return new GeneratedEntry(now, level, source, $"{source}: upstream timeout after {_random.Next(1000, 5000)} ms (burst {i + 1}/{_options.BurstSize})",
                new Dictionary<string, object> { ["seq"] = ++_sequence, ["burst"] = true });
        }
    }

    private static ReadOnlyMemory<byte> ToNdjson(IReadOnlyList<GeneratedEntry> batch)
    {
        var body = new ArrayBufferWriter<byte>(batch.Count * 160);
        foreach (var entry in batch)
        {
            using (var json = new Utf8JsonWriter(body))
            {
                json.WriteStartObject();
                json.WriteString("ts", entry.Timestamp);
                json.WriteString("level", entry.Level);
                json.WriteString("source", entry.Source);
                json.WriteString("message", entry.Message);
                json.WriteStartObject("props");
                foreach (var (name, value) in entry.Properties)
                {
                    json.WritePropertyName(name);
                    JsonSerializer.Serialize(json, value);
                }

                json.WriteEndObject();
                json.WriteEndObject();
            }

            body.Write("\n"u8);
        }

        return body.WrittenMemory;
    }
}

/// <summary>One generated entry before encoding.</summary>
internal sealed record GeneratedEntry(DateTimeOffset Timestamp, string Level, string Source, string Message, IReadOnlyDictionary<string, object> Properties);
