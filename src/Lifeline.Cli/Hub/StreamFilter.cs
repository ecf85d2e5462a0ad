namespace Lifeline.Cli.Hub;

/// <summary>The filter of a subscription or query (docs/protocol.md, "Filters"): all given conditions must hold.</summary>
internal sealed record StreamFilter(string? Level, IReadOnlyList<string> Sources, string? Contains)
{
    public static readonly StreamFilter All = new(null, [], null);

    /// <summary>The filter as query parameters, plus <c>after</c> when resuming.</summary>
    public List<KeyValuePair<string, string>> ToQuery(long? after)
    {
        var query = new List<KeyValuePair<string, string>>();
        if (Level is not null)
        {
            query.Add(new("level", Level));
        }

        query.AddRange(Sources.Select(source => new KeyValuePair<string, string>("source", source)));
        if (!string.IsNullOrEmpty(Contains))
        {
            query.Add(new("contains", Contains));
        }

        if (after is { } position)
        {
            query.Add(new("after", position.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return query;
    }
}
