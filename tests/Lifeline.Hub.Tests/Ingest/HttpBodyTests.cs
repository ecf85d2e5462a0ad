using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Ingest;

/// <summary>POST bodies without a Content-Length: the pooled body buffer grows by copying and still enforces the limit.</summary>
public sealed class HttpBodyTests
{
    [Fact]
    public async Task Post_ChunkedBodyLargerThanTheFirstBuffer_StoresEveryEntryIntact()
    {
        await using var hub = await HubHost.StartAsync();
        var lines = Enumerable.Range(1, 600).Select(i => $$"""{"message":"entry {{i}} {{new string((char)('a' + (i % 26)), 150)}}","source":"s{{i % 7}}"}""").ToList();
        var body = Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n");
        Assert.True(body.Length > 64 * 1024);

        using (var response = await PostChunkedAsync(hub, body))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(new PublishResult(600, 1, 600), HttpBodyJson.ParsePublishResult(await response.Content.ReadAsByteArrayAsync()));
        }

        var stored = new List<LogEntry>();
        while (stored.Count < 600)
        {
            var page = HttpBodyJson.ParseQueryPage(await hub.Http.GetByteArrayAsync($"v1/logs?after={stored.Count}"));
            Assert.NotEmpty(page.Entries);
            stored.AddRange(page.Entries);
        }

        Assert.Equal(lines.Select(l => LogEntryJson.Deserialize(Encoding.UTF8.GetBytes(l)).Message), stored.Select(e => e.Message));
        Assert.Equal(Enumerable.Range(1, 600).Select(i => $"s{i % 7}"), stored.Select(e => e.Source));
    }

    [Fact]
    public async Task Post_ChunkedBodyOverTheLimit_Is413_AndStoresNothing()
    {
        await using var hub = await HubHost.StartAsync(o =>
        {
            o.MaxEntryBytes = 1024;
            o.MaxRequestBytes = 40_000;
        });
        var body = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat($$"""{"message":"{{new string('x', 500)}}"}""" + "\n", 100)));

        using (var response = await PostChunkedAsync(hub, body))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal(ErrorCodes.TooLarge, HttpBodyJson.ParseErrorBody(await response.Content.ReadAsByteArrayAsync()).Error);
        }

        Assert.Equal(new PublishResult(1, 1, 1), await hub.PostManyAsync(1));
    }

    private static async Task<HttpResponseMessage> PostChunkedAsync(HubHost hub, byte[] body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/logs") { Content = new ChunkedContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        return await hub.Http.SendAsync(request).OrTimeout(TimeSpan.FromSeconds(30));
    }

    /// <summary>A body with no length: HttpClient sends it chunked, in 7,000-byte pieces.</summary>
    private sealed class ChunkedContent(byte[] body) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var i = 0; i < body.Length; i += 7000)
            {
                await stream.WriteAsync(body.AsMemory(i, Math.Min(7000, body.Length - i)));
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
