using System.Text.Json;
using System.Text.Json.Serialization;
using Lifeline.Protocol;

namespace Lifeline.Cli.Hub;

/// <summary>A log entry as the hub sends it (docs/protocol.md, "Log entries").</summary>
internal sealed record StreamEntry(long Id, DateTimeOffset Ts, string Level, string Source, string Message, JsonElement? Props)
{
    /// <summary>The entry's JSON as the hub sent it, for <c>tail --json</c>.</summary>
    [JsonIgnore]
    public string? Raw { get; init; }

    /// <summary>An entry from the typed hub client, with its protocol JSON.</summary>
    public static StreamEntry From(LogEntry entry) =>
        new(entry.Id, entry.Timestamp, LogLevelNames.GetName(entry.Level), entry.Source, entry.Message, entry.Properties)
        {
            Raw = System.Text.Encoding.UTF8.GetString(LogEntryJson.Serialize(entry)),
        };
}

/// <summary>One page of <c>GET /v1/logs</c>.</summary>
internal sealed record QueryPage(IReadOnlyList<StreamEntry> Entries, long LastId, bool More);

/// <summary>The answer to a publish: the contiguous ids the hub assigned.</summary>
internal sealed record PublishAck(int Count, long FirstId, long LastId);

/// <summary>An error body: <c>{"error":"code","message":"text","index":3}</c>.</summary>
internal sealed record HubError(string? Error, string? Message, int? Index);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StreamEntry))]
[JsonSerializable(typeof(PublishAck))]
[JsonSerializable(typeof(HubError))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
