using System.Net;
using System.Text;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;

namespace Lifeline.Hub.Tests.Ingest;

public class HttpIngestTests
{
    [Fact]
    public async Task Post_Ndjson_SkipsBlankLines_AndAnswersContiguousIds()
    {
        await using var hub = await HubHost.StartAsync();
        await hub.PostManyAsync(2);
        using var response = await hub.PostRawAsync("{\"message\":\"a\",\"level\":\"WARN\"}\n\n  \r\n{\"message\":\"b\",\"props\":{\"k\":1}}\n", "application/x-ndjson");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(new PublishResult(2, 3, 4), HttpBodyJson.ParsePublishResult(await response.Content.ReadAsByteArrayAsync()));

        var page = HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync("v1/logs?after=2"));
        Assert.Equal(["a", "b"], page.Entries.Select(e => e.Message));
        Assert.Equal(LogEntryLevel.Warning, page.Entries[0].Level);
        Assert.Equal(1, page.Entries[1].Properties!.Value.GetProperty("k").GetInt32());
    }

    [Fact]
    public async Task Post_WithOneInvalidEntry_StoresNothing_AndNamesItsIndex()
    {
        await using var hub = await HubHost.StartAsync();
        using var response = await hub.PostRawAsync("""[{"message":"ok"},{"message":"ok"},{"message":"x","level":"loud"},{"message":"ok"}]""", "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = HttpBodyJson.ParseErrorBody(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(ErrorCodes.InvalidEntry, error.Error);
        Assert.Equal(2, error.Index);
        Assert.Contains("entry 2", error.Message, StringComparison.Ordinal);
        Assert.True(hub.Logged("rejected (invalid_entry)"));

        // Nothing of the request was stored: the next entry gets id 1.
        Assert.Equal(new PublishResult(1, 1, 1), await hub.PostManyAsync(1));
    }

    [Theory]
    [InlineData("[{\"message\":\"a\"", "application/json", ErrorCodes.InvalidJson)]
    [InlineData("{\"message\":\"a\"}", "application/json", ErrorCodes.InvalidJson)]
    [InlineData("{\"message\":\"a\"}\n{oops}\n", "application/x-ndjson", ErrorCodes.InvalidJson)]
    public async Task Post_MalformedJson_Is400InvalidJson(string body, string contentType, string expected)
    {
        await using var hub = await HubHost.StartAsync();
        using var response = await hub.PostRawAsync(body, contentType);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(expected, HttpBodyJson.ParseErrorBody(await response.Content.ReadAsByteArrayAsync()).Error);
    }

    [Fact]
    public async Task Post_LoneSurrogateEscape_IsInvalidJson_AndTheHubKeepsIngesting()
    {
        // "\ud800" would decode to a lone surrogate that Utf8JsonWriter cannot encode again: the reader refuses it, so it
        // never reaches the writer loop.
        await using var hub = await HubHost.StartAsync();
        using var response = await hub.PostRawAsync("[{\"message\":\"ok\"},{\"message\":\"bad \\ud800 x\"}]", "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = HttpBodyJson.ParseErrorBody(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(ErrorCodes.InvalidJson, error.Error);
        Assert.Equal(new PublishResult(1, 1, 1), await hub.PostManyAsync(1));
        Assert.Equal(new PublishResult(1, 2, 2), await hub.PostAsync(new LogEntry { Message = "😀 ok" }));
    }

    [Fact]
    public async Task Post_WrongContentType_Is415()
    {
        await using var hub = await HubHost.StartAsync();
        using var response = await hub.PostRawAsync("[]", "text/plain");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(ErrorCodes.UnsupportedMediaType, HttpBodyJson.ParseErrorBody(await response.Content.ReadAsByteArrayAsync()).Error);
    }

    [Fact]
    public async Task Post_BodyOverLimit_Is413_EntryOverLimit_Is400TooLarge()
    {
        await using var hub = await HubHost.StartAsync(o =>
        {
            o.MaxEntryBytes = 1024;
            o.MaxRequestBytes = 4096;
        });
        var big = "[" + string.Join(",", Enumerable.Repeat("{\"message\":\"" + new string('x', 500) + "\"}", 10)) + "]";
        using (var response = await hub.PostRawAsync(big, "application/json"))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal(ErrorCodes.TooLarge, HttpBodyJson.ParseErrorBody(await response.Content.ReadAsByteArrayAsync()).Error);
        }

        using (var response = await hub.PostRawAsync("[{\"message\":\"ok\"},{\"message\":\"" + new string('x', 2000) + "\"}]", "application/json"))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var error = HttpBodyJson.ParseErrorBody(await response.Content.ReadAsByteArrayAsync());
            Assert.Equal(ErrorCodes.TooLarge, error.Error);
            Assert.Equal(1, error.Index);
        }
    }

    [Fact]
    public async Task Post_RepeatedIdempotencyKey_StoresOnce_AndReplaysTheFirstAnswer()
    {
        await using var hub = await HubHost.StartAsync();
        var body = HubHost.SerializeArray([new LogEntry { Message = "once" }, new LogEntry { Message = "twice?" }]);
        using var first = await hub.PostRawAsync(body, "application/json", idempotencyKey: "client-1/7");
        using var second = await hub.PostRawAsync(body, "application/json", idempotencyKey: "client-1/7");
        using var other = await hub.PostRawAsync(body, "application/json", idempotencyKey: "client-1/8");

        var a = HttpBodyJson.ParsePublishResult(await first.Content.ReadAsByteArrayAsync());
        Assert.Equal(a, HttpBodyJson.ParsePublishResult(await second.Content.ReadAsByteArrayAsync()));
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal("true", Assert.Single(second.Headers.GetValues("Idempotent-Replayed")));
        Assert.Equal(new PublishResult(2, 3, 4), HttpBodyJson.ParsePublishResult(await other.Content.ReadAsByteArrayAsync()));
    }

    [Fact]
    public async Task Query_PagesWithFilter_AndNextLinkUntilTheEnd()
    {
        await using var hub = await HubHost.StartAsync();
        await hub.PostManyAsync(250, level: LogEntryLevel.Information);
        await hub.PostManyAsync(50, first: 251, level: LogEntryLevel.Error);

        var page = HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync("v1/logs?limit=100"));
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (long)i), page.Entries.Select(e => e.Id));
        Assert.Equal("/v1/logs?after=100&limit=100", page.Next);
        Assert.Equal(1, page.OldestId);
        Assert.Equal(300, page.LastId);

        var ids = new List<long>();
        var next = "v1/logs?level=error&limit=20";
        while (next is not null)
        {
            var p = HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync(next.TrimStart('/')));
            ids.AddRange(p.Entries.Select(e => e.Id));
            next = p.Next;
        }

        Assert.Equal(Enumerable.Range(251, 50).Select(i => (long)i), ids);

        using var bad = await hub.Http.GetAsync("v1/logs?limit=5000");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal(ErrorCodes.InvalidFilter, HttpBodyJson.ParseErrorBody(Encoding.UTF8.GetBytes(await bad.Content.ReadAsStringAsync())).Error);
    }
}
