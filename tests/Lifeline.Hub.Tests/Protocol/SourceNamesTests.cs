using System.Text;
using Lifeline.Protocol;

namespace Lifeline.Hub.Tests.Protocol;

/// <summary>The hub's ingest parser shares source strings (SourceNames) without changing what is parsed or rejected.</summary>
public class SourceNamesTests
{
    [Fact]
    public void RepeatedSource_AcrossBatches_IsOneString()
    {
        var first = Read("{\"source\":\"orders-api\",\"message\":\"a\"}\n{\"source\":\"orders-api\",\"message\":\"b\"}\n");
        var second = Read("{\"source\":\"orders-api\",\"message\":\"c\"}\n");
        Assert.Equal("orders-api", first[0].Source);
        Assert.Same(first[0].Source, first[1].Source);
        Assert.Same(first[0].Source, second[0].Source);
    }

    [Fact]
    public void ManyDistinctSources_EachReadsBackAsItself()
    {
        // Far more sources than slots: collisions replace slots but never return another source's string.
        var names = Enumerable.Range(0, 4 * SourceNames.Slots).Select(i => $"svc-{i}-é").ToList();
        for (var round = 0; round < 2; round++)
        {
            var entries = Read(string.Concat(names.Select(n => $"{{\"source\":\"{n}\",\"message\":\"m\"}}\n")));
            Assert.Equal(names, entries.Select(e => e.Source));
        }
    }

    [Fact]
    public void EscapedSource_IsDecoded_AndEqualsTheUnescapedOne()
    {
        var entries = Read("{\"source\":\"api\",\"message\":\"a\"}\n{\"source\":\"\\u0061pi\",\"message\":\"b\"}\n{\"source\":\"a\\\"b\",\"message\":\"c\"}\n");
        Assert.Equal(["api", "api", "a\"b"], entries.Select(e => e.Source));
    }

    [Fact]
    public void InvalidUtf8Source_IsInvalidJson_EveryTime()
    {
        var bad = Encoding.UTF8.GetBytes("{\"source\":\"x\",\"message\":\"a\"}\n{\"source\":\"#(\",\"message\":\"b\"}\n");
        bad[Array.IndexOf(bad, (byte)'#')] = 0xC3;   // 0xC3 0x28: a lead byte without its continuation byte
        for (var i = 0; i < 2; i++)
        {
            var e = Assert.Throws<ProtocolException>(() => EntryBatchReader.ReadNdjson(bad, 64 << 10));
            Assert.Equal(ErrorCodes.InvalidJson, e.ErrorCode);
            Assert.Equal(1, e.Index);
        }
    }

    [Fact]
    public void SourceOverTheLimit_IsStillRejected_AfterAValidOne()
    {
        var longName = new string('s', LogEntry.MaxSourceLength + 1);
        Read($"{{\"source\":\"{longName[..^1]}\",\"message\":\"a\"}}\n");
        var e = Assert.Throws<ProtocolException>(() => Read($"{{\"source\":\"{longName}\",\"message\":\"a\"}}\n"));
        Assert.Equal(ErrorCodes.InvalidEntry, e.ErrorCode);
    }

    private static List<EntryFields> Read(string ndjson) => EntryBatchReader.ReadNdjson(Encoding.UTF8.GetBytes(ndjson), 64 << 10);
}
