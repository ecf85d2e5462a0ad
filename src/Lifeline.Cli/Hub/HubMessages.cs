using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lifeline.Cli.Hub;

/// <summary>A log entry as the hub sends it (docs/protocol.md, "Log entries").</summary>
internal sealed record StreamEntry(long Id, DateTimeOffset Ts, string Level, string Source, string Message, JsonElement? Props)
{
    /// <summary>The entry's JSON exactly as the hub sent it, for <c>tail --json</c>.</summary>
    [JsonIgnore]
    public string? Raw { get; init; }
}

/// <summary>The answer to a publish: the contiguous ids the hub assigned.</summary>
internal sealed record PublishAck(int Count, long FirstId, long LastId);

/// <summary>An error body: <c>{"error":"code","message":"text","index":3}</c>.</summary>
internal sealed record HubError(string? Error, string? Message, int? Index);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StreamEntry))]
[JsonSerializable(typeof(PublishAck))]
[JsonSerializable(typeof(HubError))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
