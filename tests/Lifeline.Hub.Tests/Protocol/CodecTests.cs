using System.Text;
using System.Text.Json;
using Lifeline.Protocol;

namespace Lifeline.Hub.Tests.Protocol;

public class CodecTests
{
    [Theory]
    [InlineData("trace", LogEntryLevel.Trace)]
    [InlineData("DEBUG", LogEntryLevel.Debug)]
    [InlineData("Information", LogEntryLevel.Information)]
    [InlineData("info", LogEntryLevel.Information)]
    [InlineData("WARN", LogEntryLevel.Warning)]
    [InlineData("warning", LogEntryLevel.Warning)]
    [InlineData("error", LogEntryLevel.Error)]
    [InlineData("fatal", LogEntryLevel.Critical)]
    [InlineData("critical", LogEntryLevel.Critical)]
    public void LevelNames_AcceptNamesAndAliasesIgnoringCase(string name, LogEntryLevel expected)
    {
        Assert.True(LogLevelNames.TryParse(name, out var level));
        Assert.Equal(expected, level);
        Assert.True(LogLevelNames.TryParse(Encoding.UTF8.GetBytes(name), out level));
        Assert.Equal(expected, level);
    }

    [Theory]
    [InlineData("")]
    [InlineData("verbose")]
    [InlineData("informational")]
    [InlineData("err")]
    [InlineData("3")]
    public void LevelNames_RejectAnythingElse(string name)
    {
        Assert.False(LogLevelNames.TryParse(name, out _));
    }

    [Fact]
    public void Entry_RoundTrips_WithCanonicalLevelAndUtcTimestamp()
    {
        using var props = JsonDocument.Parse("""{"ms":812,"table":"orders","nested":{"a":[1,2]}}""");
        var entry = new LogEntry
        {
            Id = 1042,
            Timestamp = new DateTimeOffset(2026, 12, 1, 21, 50, 49, 123, TimeSpan.FromHours(2)),
            Level = LogEntryLevel.Warning,
            Source = "api",
            Message = "slow \"query\" ü",
            Properties = props.RootElement.Clone(),
        };

        var json = LogEntryJson.Serialize(entry);
        var text = Encoding.UTF8.GetString(json);
        Assert.Contains("\"ts\":\"2026-12-01T19:50:49.123Z\"", text, StringComparison.Ordinal);
        Assert.Contains("\"level\":\"warning\"", text, StringComparison.Ordinal);

        var back = LogEntryJson.Deserialize(json);
        Assert.Equal(entry.Id, back.Id);
        Assert.Equal(entry.Timestamp, back.Timestamp);
        Assert.Equal(entry.Level, back.Level);
        Assert.Equal(entry.Source, back.Source);
        Assert.Equal(entry.Message, back.Message);
        Assert.Equal(812, back.Properties!.Value.GetProperty("ms").GetInt32());
    }

    [Theory]
    [InlineData("""{"level":"info"}""", "message is required")]
    [InlineData("""{"message":"x","level":"loud"}""", "level must be one of")]
    [InlineData("""{"message":3}""", "message must be a string")]
    [InlineData("""{"message":"x","props":[1]}""", "props must be a JSON object")]
    [InlineData("""{"message":"x","ts":"yesterday"}""", "ts must be")]
    public void Entry_Invalid_ThrowsInvalidEntry(string json, string expected)
    {
        var e = Assert.Throws<ProtocolException>(() => LogEntryJson.Deserialize(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(ErrorCodes.InvalidEntry, e.ErrorCode);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Entry_UnknownFieldsAreIgnored_AndDefaultsApply()
    {
        var e = LogEntryJson.Deserialize("""{"future":{"x":[1,{"y":2}]},"message":"hi","extra":true}"""u8);
        Assert.Equal("hi", e.Message);
        Assert.Equal(LogEntryLevel.Information, e.Level);
        Assert.Equal("", e.Source);
        Assert.Null(e.Properties);
    }

    [Fact]
    public void Entry_SourceLongerThan256_IsInvalid()
    {
        var json = $$"""{"message":"x","source":"{{new string('s', 257)}}"}""";
        var e = Assert.Throws<ProtocolException>(() => LogEntryJson.Deserialize(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(ErrorCodes.InvalidEntry, e.ErrorCode);
    }

    [Fact]
    public void StreamMessages_RoundTrip_AndTypeMayComeLast()
    {
        StreamMessage[] messages =
        [
            new HelloMessage(1, 1042, 30_000),
            new GapMessage(1001, 1500, GapReasons.Retention),
            new LiveMessage(1042),
            new HeartbeatMessage(7, new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero)),
        ];
        foreach (var m in messages)
        {
            Assert.Equal(m, StreamMessageJson.Parse(StreamMessageJson.Serialize(m)));
        }

        var entries = (EntriesMessage)StreamMessageJson.Parse("""{"entries":[{"id":5,"message":"a"},{"id":6,"message":"b","level":"error"}],"type":"entries"}"""u8);
        Assert.Equal([5L, 6L], entries.Entries.Select(e => e.Id));
        Assert.Equal(LogEntryLevel.Error, entries.Entries[1].Level);
    }

    [Theory]
    [InlineData("""{"type":"bogus"}""")]
    [InlineData("""{"lastId":1}""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"type":"gap","fromId":"x"}""")]
    [InlineData("""{"type":"live"} trailing""")]
    [InlineData("""{"type":"live""")]
    public void StreamMessages_Invalid_ThrowProtocolException(string json)
    {
        Assert.Throws<ProtocolException>(() => StreamMessageJson.Parse(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void IngestMessages_RoundTrip()
    {
        var publish = new PublishMessage("7", [new LogEntry { Message = "hi", Source = "api", Level = LogEntryLevel.Warning }]);
        var parsed = (PublishMessage)IngestMessageJson.Parse(IngestMessageJson.Serialize(publish));
        Assert.Equal("7", parsed.Ref);
        Assert.Equal("hi", Assert.Single(parsed.Entries).Message);

        IngestMessage[] others = [new AckMessage("7", 1, 1043, 1043), new ErrorMessage("7", ErrorCodes.InvalidEntry, "entry 0: message is required", 0)];
        foreach (var m in others)
        {
            Assert.Equal(m, IngestMessageJson.Parse(IngestMessageJson.Serialize(m)));
        }
    }

    [Fact]
    public void CloseReason_RoundTrips_AndRejectsGarbage()
    {
        var reason = new CloseReason(1042, 1350);
        Assert.Equal("""{"resumeAfter":1042,"retryAfterMs":1350}""", reason.ToJson());
        Assert.True(CloseReason.TryParse(reason.ToJson(), out var back));
        Assert.Equal(reason, back);
        Assert.False(CloseReason.TryParse("going away", out _));
        Assert.False(CloseReason.TryParse("", out _));
    }

    [Fact]
    public void Filter_ParsesQuery_AndMatches()
    {
        var filter = LogFilter.Parse("?level=warn&source=api&source=db&contains=Slow%20q&after=10&clientId=x");
        Assert.Equal(LogEntryLevel.Warning, filter.MinLevel);
        Assert.Equal(["api", "db"], filter.Sources);
        Assert.Equal("Slow q", filter.Contains);
        Assert.Equal(10, filter.After);
        Assert.True(filter.Matches(new LogEntry { Id = 11, Level = LogEntryLevel.Error, Source = "db", Message = "a SLOW Query" }));
        Assert.False(filter.Matches(new LogEntry { Id = 10, Level = LogEntryLevel.Error, Source = "db", Message = "a SLOW Query" }));
        Assert.False(filter.Matches(new LogEntry { Id = 11, Level = LogEntryLevel.Information, Source = "db", Message = "a SLOW Query" }));
        Assert.False(filter.Matches(new LogEntry { Id = 11, Level = LogEntryLevel.Error, Source = "web", Message = "a SLOW Query" }));
        Assert.Equal(filter, LogFilter.Parse(filter.ToQueryString()));
    }

    [Theory]
    [InlineData("level=loud")]
    [InlineData("after=-1")]
    [InlineData("after=abc")]
    [InlineData("contains=")]
    public void Filter_InvalidParameter_ThrowsInvalidFilter(string query)
    {
        var e = Assert.Throws<ProtocolException>(() => LogFilter.Parse(query));
        Assert.Equal(ErrorCodes.InvalidFilter, e.ErrorCode);
    }
}
