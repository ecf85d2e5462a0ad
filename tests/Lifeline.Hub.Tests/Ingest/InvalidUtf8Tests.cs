using System.Net;
using System.Text;
using System.Text.Unicode;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;

namespace Lifeline.Hub.Tests.Ingest;

/// <summary>
/// Regression (issue 11, point 2): text that is not Unicode inside <c>props</c> (kept as raw JSON text, never decoded)
/// was stored; every reader then got a frame that is not UTF-8, which standards-following clients refuse for good.
/// Every placement is refused as malformed JSON, with the entry's index, and nothing of the batch is stored.
/// </summary>
public class InvalidUtf8Tests
{
    // '#' marks where the bytes 0xC3 0x28 go: a lead byte without its continuation byte.
    public static TheoryData<string, string> RawByteCases => new()
    {
        { "message", """{"message":"bad #"}""" },
        { "props value", """{"message":"m","props":{"user":"bad #"}}""" },
        { "props name", """{"message":"m","props":{"us#er":"x"}}""" },
        { "nested value", """{"message":"m","props":{"a":{"b":[1,{"c":"bad #"}]}}}""" },
    };

    public static TheoryData<string, string> SurrogateCases => new()
    {
        { "message", """{"message":"bad \ud800 x"}""" },
        { "props value", """{"message":"m","props":{"user":"bad \ud800"}}""" },
        { "props name", """{"message":"m","props":{"\udc00":"x"}}""" },
        { "nested value (a high surrogate without its low one)", """{"message":"m","props":{"a":["\ud83d x"]}}""" },
    };

    [Theory]
    [MemberData(nameof(RawByteCases))]
    public async Task Post_InvalidUtf8_AnyPlacement_Is400InvalidJson_NothingStored(string placement, string entry)
    {
        _ = placement;
        await using var hub = await HubHost.StartAsync();
        await hub.PostManyAsync(1);
        var bad = WithInvalidBytes($"[{{\"message\":\"ok\"}},{entry}]");
        await AssertRefusedAsync(hub, bad, "application/json");
        await AssertRefusedAsync(hub, WithInvalidBytes($"{{\"message\":\"ok\"}}\n{entry}\n"), "application/x-ndjson");
        await AssertStoreHoldsOnlyValidAsync(hub);
    }

    [Theory]
    [MemberData(nameof(SurrogateCases))]
    public async Task Post_LoneSurrogateEscape_AnyPlacement_Is400InvalidJson_NothingStored(string placement, string entry)
    {
        _ = placement;
        await using var hub = await HubHost.StartAsync();
        await hub.PostManyAsync(1);
        await AssertRefusedAsync(hub, Encoding.UTF8.GetBytes($"[{{\"message\":\"ok\"}},{entry}]"), "application/json");
        await AssertRefusedAsync(hub, Encoding.UTF8.GetBytes($"{{\"message\":\"ok\"}}\n{entry}\n"), "application/x-ndjson");
        await AssertStoreHoldsOnlyValidAsync(hub);
    }

    [Fact]
    public async Task Post_EscapedSurrogatePair_AndRawMultiByteText_AreStored()
    {
        await using var hub = await HubHost.StartAsync();
        using var response = await hub.PostRawAsync("""[{"message":"m","props":{"\ud83d\ude00":"😀 \ud83d\ude00 é","n":{"k":"\u00e9"}}}]""", "application/json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entry = Assert.Single(HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync("v1/logs")).Entries);
        Assert.Equal("😀 😀 é", entry.Properties!.Value.GetProperty("😀").GetString());
    }

    [Fact]
    public async Task Ingest_InvalidUtf8InProps_Closes1007_LoneSurrogateInProps_Closes4400_NothingStored()
    {
        await using var hub = await HubHost.StartAsync();
        await using var bystander = await hub.SubscribeAsync();
        await bystander.ReceiveUntilAsync<LiveMessage>();

        await using (var raw = await TestPublisher.ConnectAsync(hub))
        {
            await raw.SendTextAsync(WithInvalidBytes("""{"type":"publish","ref":"1","entries":[{"message":"m","props":{"a":"#"}}]}"""));
            Assert.Equal(CloseCodes.InvalidPayload, (int)(await raw.ReceiveCloseAsync()).Status!);
        }

        await using (var escaped = await TestPublisher.ConnectAsync(hub))
        {
            await escaped.SendTextAsync("""{"type":"publish","ref":"1","entries":[{"message":"m","props":{"a":{"b":"\udfff"}}}]}""");
            Assert.Equal(CloseCodes.InvalidMessage, (int)(await escaped.ReceiveCloseAsync()).Status!);
        }

        // The bystander's next entry is the good one: nothing of the bad publishes was stored or sent.
        await hub.PostManyAsync(1);
        await bystander.ReceiveEntriesAsync(1);
        Assert.Equal(["m1"], bystander.Entries.Select(e => e.Message));
        await AssertStoreHoldsOnlyValidAsync(hub);
    }

    private static byte[] WithInvalidBytes(string text)
    {
        var bytes = new List<byte>();
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            bytes.AddRange(b == (byte)'#' ? [0xC3, 0x28] : [b]);
        }

        return [.. bytes];
    }

    private static async Task AssertRefusedAsync(HubHost hub, byte[] body, string contentType)
    {
        using var response = await hub.PostRawAsync(body, contentType);
        var answer = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, Encoding.UTF8.GetString(answer));
        var error = HttpBodyJson.ParseErrorBody(answer);
        Assert.Equal(ErrorCodes.InvalidJson, error.Error);
        Assert.Equal(1, error.Index);
    }

    private static async Task AssertStoreHoldsOnlyValidAsync(HubHost hub)
    {
        var body = await hub.Http.GetByteArrayAsync("v1/logs?limit=100");
        Assert.True(Utf8.IsValid(body));
        Assert.Equal(["m1"], HttpBodyJson.ParseQueryPage(body).Entries.Select(e => e.Message));
    }
}
