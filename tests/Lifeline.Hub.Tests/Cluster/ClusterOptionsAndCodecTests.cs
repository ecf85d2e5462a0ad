using System.Buffers;
using System.Text.Json;
using Lifeline.Hub.Log;
using Lifeline.Hub.Storage;
using Lifeline.Protocol;

namespace Lifeline.Hub.Tests.Cluster;

/// <summary>The cluster options' validation (bad input gets one clear error naming the option) and the stream messages' body.</summary>
public sealed class ClusterOptionsAndCodecTests
{
    [Theory]
    [InlineData("localhost:4222", "ClusterUrls")]
    [InlineData("http://h1:4222", "ClusterUrls")]
    [InlineData("nats://h1", "ClusterUrls")]
    public void Validate_ABadServerUrl_IsRejectedNamingClusterUrls(string url, string option)
    {
        var options = new HubOptions { ClusterUrls = ["nats://h0:4222", url] };
        var error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(option, error.ParamName);
        Assert.Contains(url, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadStreamSubjectReplicasOrNodeName_AreRejectedNamingTheOption()
    {
        Assert.Equal("ClusterStream", Assert.Throws<ArgumentException>(new HubOptions { ClusterUrls = ["nats://h:4222"], ClusterStream = "a.b" }.Validate).ParamName);
        Assert.Equal("ClusterSubject", Assert.Throws<ArgumentException>(new HubOptions { ClusterUrls = ["nats://h:4222"], ClusterSubject = "logs.>" }.Validate).ParamName);
        Assert.Equal("ClusterReplicas", Assert.Throws<ArgumentException>(new HubOptions { ClusterUrls = ["nats://h:4222"], ClusterReplicas = 0 }.Validate).ParamName);
        Assert.Equal("ClusterNodeName", Assert.Throws<ArgumentException>(new HubOptions { ClusterUrls = ["nats://h:4222"], ClusterNodeName = " " }.Validate).ParamName);
        Assert.Equal("ClusterAppendTimeout", Assert.Throws<ArgumentException>(new HubOptions { ClusterUrls = ["nats://h:4222"], ClusterAppendTimeout = TimeSpan.Zero }.Validate).ParamName);

        // Without servers the cluster options are not used, and not checked.
        new HubOptions { ClusterStream = "a.b" }.Validate();
        new HubOptions { ClusterUrls = ["nats://h1:4222", "tls://h2:4222"] }.Validate();
    }

    [Fact]
    public void ABatch_ReadsBackWithTheIdsOfItsMessage_AndTheKeysOfItsRequests()
    {
        var body = Encode(out _);
        var entries = new List<StoredEntry>();
        var keys = new List<IdempotencyRecord>();
        LogBatchCodec.Read(body, 41, entries, keys);

        Assert.Equal([41L, 42L, 43L], entries.Select(e => e.Id));
        Assert.Equal(["a", "b", "c"], entries.Select(e => e.Message));
        Assert.Equal(LogEntryLevel.Error, entries[2].Level);
        var record = Assert.Single(keys);
        Assert.Equal(("client/7", new PublishResult(1, 43, 43)), (record.Key, record.Result));

        // The stored JSON is the entry's wire JSON with its id first, as the single-node store keeps it.
        using var json = JsonDocument.Parse(entries[1].Json);
        Assert.Equal(42, json.RootElement.GetProperty("id").GetInt64());
        Assert.Equal("b", json.RootElement.GetProperty("message").GetString());
        Assert.Equal("id", json.RootElement.EnumerateObject().First().Name);
    }

    [Fact]
    public void ABodyThatIsNotABatch_IsRejectedWithInvalidData_NotStoredHalfWay()
    {
        var body = Encode(out _);
        var entries = new List<StoredEntry>();
        Assert.Throws<InvalidDataException>(() => LogBatchCodec.Read(body.AsSpan(0, body.Length - 3), 1, entries, []));
        Assert.Throws<InvalidDataException>(() => LogBatchCodec.Read([.. body, 0], 1, [], []));
        Assert.Throws<InvalidDataException>(() => LogBatchCodec.Read("{\"not\":\"a batch\"}"u8, 1, [], []));
    }

    private static byte[] Encode(out int requests)
    {
        var body = new ArrayBufferWriter<byte>();
        var scratch = new ArrayBufferWriter<byte>();
        using var writer = new Utf8JsonWriter(scratch);
        var now = new DateTimeOffset(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);
        List<EntryFields> first = [Entry("a"), Entry("b")];
        List<EntryFields> second = [Entry("c", LogEntryLevel.Error)];
        requests = 2;
        LogBatchCodec.WriteStart(body, now.UtcTicks, requests);
        LogBatchCodec.WriteRequest(body, first.Count, null);
        LogBatchCodec.WriteRequest(body, second.Count, "client/7");
        LogBatchCodec.WriteEntries(body, first, now, scratch, writer);
        LogBatchCodec.WriteEntries(body, second, now, scratch, writer);
        return body.WrittenSpan.ToArray();
    }

    private static EntryFields Entry(string message, LogEntryLevel level = LogEntryLevel.Information) =>
        new() { Level = level, Source = "app", Message = message };
}
