using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Lifeline.Protocol;

/// <summary>
/// The filter of subscriptions and queries (docs/protocol.md, "Filters"): all given conditions must hold.
/// Designed to grow: a new condition is a new property, a new query parameter and a new clause in <see cref="Matches(LogEntry)"/>.
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class LogFilter : IEquatable<LogFilter>
{
    /// <summary>A filter that matches every entry.</summary>
    public static LogFilter All { get; } = new();

    /// <summary>Minimum level, or <see langword="null"/> for any level.</summary>
    public LogEntryLevel? MinLevel { get; init; }

    /// <summary>Exact sources, any of which matches; empty for any source.</summary>
    public IReadOnlyList<string> Sources { get; init; } = [];

    /// <summary>Exact levels, any of which matches; empty for any level (<see cref="MinLevel"/> applies as well when set).</summary>
    public IReadOnlyList<LogEntryLevel> Levels { get; init; } = [];

    /// <summary>Conditions on <c>props</c>, all of which must hold; empty for none.</summary>
    public IReadOnlyList<PropertyPredicate> Where { get; init; } = [];

    /// <summary>The most <c>where</c> predicates one filter may have.</summary>
    public const int MaxPredicates = 16;

    /// <summary>Case-insensitive substring of the message, or <see langword="null"/>.</summary>
    public string? Contains { get; init; }

    /// <summary>Only entries with a greater id; for a stream, the resume position. <see langword="null"/> for none.</summary>
    public long? After { get; init; }

    /// <summary>Whether <paramref name="entry"/> satisfies every condition, <see cref="After"/> included.</summary>
    public bool Matches(LogEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return (After is not { } after || entry.Id > after) && Matches(entry.Level, entry.Source, entry.Message) && MatchesProperties(entry.Properties);
    }

    /// <summary>
    /// Whether an entry with these fields satisfies the level, source and text conditions (all but <see cref="After"/>
    /// and <see cref="Where"/>: see <see cref="MatchesProperties"/>).
    /// </summary>
    public bool Matches(LogEntryLevel level, string source, string message)
    {
        if (MinLevel is { } min && level < min)
        {
            return false;
        }

        if (Levels.Count > 0 && !Levels.Contains(level))
        {
            return false;
        }

        if (Sources.Count > 0 && !ContainsOrdinal(Sources, source))
        {
            return false;
        }

        return Contains is null || message.Contains(Contains, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether an entry's <c>props</c> (<see langword="null"/> when it has none) satisfy every <see cref="Where"/> predicate.</summary>
    public bool MatchesProperties(JsonElement? properties)
    {
        foreach (var predicate in Where)
        {
            if (!predicate.Matches(properties))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether this filter's content conditions match everything (no level, source, text or property condition).</summary>
    public bool MatchesAll => MinLevel is null && Levels.Count == 0 && Sources.Count == 0 && Contains is null && Where.Count == 0;

    /// <summary>Returns a copy with <see cref="After"/> replaced (<see cref="All"/> itself when that is the result: filters are immutable).</summary>
    public LogFilter WithAfter(long? after) =>
        after is null && MatchesAll ? All : new() { MinLevel = MinLevel, Levels = Levels, Sources = Sources, Contains = Contains, Where = Where, After = after };

    /// <summary>Encodes the filter as query parameters (no leading <c>?</c>; empty when it has no condition).</summary>
    public string ToQueryString()
    {
        var sb = new StringBuilder();
        void Add(string name, string value)
        {
            sb.Append(sb.Length == 0 ? "" : "&").Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }

        if (MinLevel is { } level)
        {
            Add("level", LogLevelNames.GetName(level));
        }

        if (Levels.Count > 0)
        {
            Add("levels", string.Join(',', Levels.Select(LogLevelNames.GetName)));
        }

        foreach (var source in Sources)
        {
            Add("source", source);
        }

        if (Contains is not null)
        {
            Add("contains", Contains);
        }

        foreach (var predicate in Where)
        {
            Add("where", predicate.ToString());
        }

        if (After is { } after)
        {
            Add("after", after.ToString(CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>Parses a query string (with or without the leading <c>?</c>); parameters other than the filter's are ignored.</summary>
    /// <exception cref="ProtocolException">A parameter is invalid (<see cref="ErrorCodes.InvalidFilter"/>).</exception>
    public static LogFilter Parse(string? query)
    {
        if (!TryParse(SplitQuery(query), out var filter, out var error))
        {
            throw new ProtocolException(ErrorCodes.InvalidFilter, error);
        }

        return filter;
    }

    /// <summary>Parses decoded query parameters; parameters other than the filter's are ignored.</summary>
    /// <returns><see langword="false"/> with a message in <paramref name="error"/> when a parameter is invalid.</returns>
    public static bool TryParse(
        IEnumerable<KeyValuePair<string, string?>> parameters,
        [NotNullWhen(true)] out LogFilter? filter,
        [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        filter = null;
        LogEntryLevel? level = null;
        List<LogEntryLevel>? levels = null;
        List<string>? sources = null;
        List<PropertyPredicate>? where = null;
        string? contains = null;
        long? after = null;
        foreach (var (name, value) in parameters)
        {
            switch (name)
            {
                case "level":
                    if (!LogLevelNames.TryParse(value, out var parsed))
                    {
                        error = $"level: unknown level '{value}' (expected one of {string.Join(", ", LogLevelNames.Canonical)})";
                        return false;
                    }

                    level = parsed;
                    break;
                case "levels":
                    levels = [];
                    foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                    {
                        if (!LogLevelNames.TryParse(part, out var one))
                        {
                            error = $"levels: unknown level '{part}' (expected a comma-separated list of {string.Join(", ", LogLevelNames.Canonical)})";
                            return false;
                        }

                        if (!levels.Contains(one))
                        {
                            levels.Add(one);
                        }
                    }

                    if (levels.Count == 0)
                    {
                        error = "levels: must name at least one level";
                        return false;
                    }

                    break;
                case "where":
                    if (!PropertyPredicate.TryParse(value, out var predicate, out var whereError))
                    {
                        error = $"where: {whereError}";
                        return false;
                    }

                    if ((where ??= []).Count == MaxPredicates)
                    {
                        error = $"where: at most {MaxPredicates} predicates";
                        return false;
                    }

                    where.Add(predicate);
                    break;
                case "source":
                    if (value is null || value.Length > LogEntry.MaxSourceLength)
                    {
                        error = $"source: must be at most {LogEntry.MaxSourceLength} characters";
                        return false;
                    }

                    (sources ??= []).Add(value);
                    break;
                case "contains":
                    if (string.IsNullOrEmpty(value))
                    {
                        error = "contains: must not be empty";
                        return false;
                    }

                    contains = value;
                    break;
                case "after":
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                    {
                        error = $"after: '{value}' is not a non-negative integer";
                        return false;
                    }

                    after = id;
                    break;
            }
        }

        // No condition at all (the usual stream): the shared instance, so an idle unfiltered stream holds no filter of its own.
        filter = level is null && levels is null && sources is null && contains is null && where is null && after is null
            ? All
            : new LogFilter
            {
                MinLevel = level,
                Levels = levels is null ? [] : levels.ToArray(),
                Sources = sources is null ? [] : sources.ToArray(),
                Contains = contains,
                Where = where is null ? [] : where.ToArray(),
                After = after,
            };
        error = null;
        return true;
    }

    /// <summary>Splits and decodes a query string into parameters, in order.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> SplitQuery(string? query)
    {
        if (string.IsNullOrEmpty(query))
        {
            yield break;
        }

        foreach (var part in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            yield return new(Unescape(name), Unescape(value));
        }
    }

    private static string Unescape(string s) => Uri.UnescapeDataString(s.Replace('+', ' '));

    private static bool ContainsOrdinal(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Equal when every condition is equal (sources compared in order).</summary>
    public bool Equals(LogFilter? other) =>
        other is not null && MinLevel == other.MinLevel && Contains == other.Contains && After == other.After
        && Sources.SequenceEqual(other.Sources, StringComparer.Ordinal) && Levels.SequenceEqual(other.Levels) && Where.SequenceEqual(other.Where);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as LogFilter);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = HashCode.Combine(MinLevel, Contains, After);
        foreach (var s in Sources)
        {
            hash = HashCode.Combine(hash, s);
        }

        foreach (var l in Levels)
        {
            hash = HashCode.Combine(hash, l);
        }

        foreach (var p in Where)
        {
            hash = HashCode.Combine(hash, p);
        }

        return hash;
    }

    /// <inheritdoc />
    public override string ToString() => ToQueryString();
}
