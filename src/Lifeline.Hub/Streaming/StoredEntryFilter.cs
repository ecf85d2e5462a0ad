using System.Text.Json;
using Lifeline.Hub.Storage;
using Lifeline.Protocol;

namespace Lifeline.Hub.Streaming;

/// <summary>
/// The one place the hub decides whether a stored entry passes a filter, for live frames, catch-up and <c>GET /v1/logs</c>
/// alike, so an entry a filter excludes never crosses the wire. Thread-safe (stateless).
/// </summary>
internal static class StoredEntryFilter
{
    /// <summary>Whether <paramref name="entry"/> satisfies every content condition of <paramref name="filter"/> (not <c>after</c>).</summary>
    public static bool Matches(this LogFilter filter, StoredEntry entry)
    {
        if (!filter.Matches(entry.Level, entry.Source, entry.Message))
        {
            return false;
        }

        if (filter.Where.Count == 0)
        {
            return true;
        }

        // Property predicates read the entry's stored wire JSON: the columns keep no props. Parsed only for
        // filters with a predicate, and only for entries the cheaper conditions above let through.
        using var doc = JsonDocument.Parse(entry.Json);
        return filter.MatchesProperties(doc.RootElement.TryGetProperty("props"u8, out var props) ? props : null);
    }
}
