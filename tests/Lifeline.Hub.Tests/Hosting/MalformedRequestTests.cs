using System.Net;
using System.Net.Sockets;
using System.Text;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Hosting;

/// <summary>
/// Regression (issue 11, point 4): a client's malformed request got <c>500</c> with an empty body, and Kestrel logged it
/// at error level as an unhandled exception. Each gets its documented status and error body, logged as the client's
/// mistake (warning), never as the server's.
/// </summary>
public class MalformedRequestTests
{
    public static TheoryData<string, byte[]> RevokeBodies => new()
    {
        { "an array", "[]"u8.ToArray() },
        { "a string", "\"x\""u8.ToArray() },
        { "an id that is a number", """{"id":123}"""u8.ToArray() },
        { "an id that is null", """{"id":null}"""u8.ToArray() },
        { "an id that is not UTF-8", [.. """{"id":"a"""u8, 0xC3, 0x28, .. "\"}"u8] },
        { "an id with a lone surrogate escape", """{"id":"\ud800"}"""u8.ToArray() },
        { "broken JSON", "{\"id\":"u8.ToArray() },
        { "trailing data", """{"id":"a"} x"""u8.ToArray() },
        { "an empty body", [] },
    };

    [Theory]
    [MemberData(nameof(RevokeBodies))]
    public async Task Revoke_BodyThatIsNotAnIdObject_Is400InvalidJson_LoggedAsWarning(string what, byte[] body)
    {
        _ = what;
        await using var hub = await HubHost.StartAsync();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        using var response = await hub.Http.PostAsync("v1/keys/revoke", content).OrTimeout();
        var answer = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {Encoding.UTF8.GetString(answer)}");
        Assert.Equal(ErrorCodes.InvalidJson, HttpBodyJson.ParseErrorBody(answer).Error);
        AssertLoggedAsClientMistake(hub, "revoke rejected");
    }

    [Fact]
    public async Task Revoke_UnknownId_Is404_AfterTheBadBodies()
    {
        await using var hub = await HubHost.StartAsync();
        using var response = await hub.Http.PostAsync("v1/keys/revoke", new StringContent("""{"x":[1],"id":"nobody"}""", Encoding.UTF8, "application/json")).OrTimeout();
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData("v1/logs", "ZZ\r\n[]\r\n0\r\n\r\n")]                  // a chunk size that is not hex
    [InlineData("v1/logs", "5\r\n[{\"me\r\nssage\":1}]\r\n0\r\n\r\n")]  // a chunk longer than its size
    [InlineData("v1/keys/revoke", "ZZ\r\n{}\r\n0\r\n\r\n")]
    public async Task BrokenChunkedBody_Is400BadRequest_LoggedAsWarning(string path, string chunks)
    {
        await using var hub = await HubHost.StartAsync();
        var (status, body) = await SendRawAsync(hub, $"POST /{path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{chunks}");
        Assert.True(status == 400, $"{status} {body}");
        Assert.Equal(ErrorCodes.BadRequest, HttpBodyJson.ParseErrorBody(Encoding.UTF8.GetBytes(body)).Error);
        AssertLoggedAsClientMistake(hub, "malformed request");

        // The hub goes on serving.
        Assert.Equal(new PublishResult(1, 1, 1), await hub.PostManyAsync(1));
    }

    private static void AssertLoggedAsClientMistake(HubHost hub, string text)
    {
        Assert.Contains(hub.Logs.GetSnapshot(), l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning && l.Message.Contains(text, StringComparison.Ordinal));
        // The no-auth banner aside (critical by design), nothing is logged as the server's fault.
        Assert.DoesNotContain(hub.Logs.GetSnapshot(), l => l.Level >= Microsoft.Extensions.Logging.LogLevel.Error && l.Id.Name != "LogNoAuth");
    }

    /// <summary>Sends <paramref name="request"/> as bytes on a fresh connection and reads one response (status, body by Content-Length).</summary>
    private static async Task<(int Status, string Body)> SendRawAsync(HubHost hub, string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, hub.BaseUri.Port).OrTimeout();
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request)).AsTask().OrTimeout();
        var received = new List<byte>();
        var buffer = new byte[4096];
        while (true)
        {
            var text = Encoding.UTF8.GetString([.. received]);
            var headEnd = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headEnd >= 0)
            {
                var lengthLine = text[..headEnd].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                var length = lengthLine is null ? 0 : int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                if (received.Count >= headEnd + 4 + length)
                {
                    // The rest of a malformed body cannot be skipped: the hub does not reuse the connection (docs/protocol.md).
                    Assert.Equal(0, await stream.ReadAsync(buffer).AsTask().OrTimeout());
                    return (int.Parse(text[9..12], System.Globalization.CultureInfo.InvariantCulture), text.Substring(headEnd + 4, length));
                }
            }

            var read = await stream.ReadAsync(buffer).AsTask().OrTimeout();
            if (read == 0)
            {
                throw new InvalidOperationException($"the connection closed after: {text}");
            }

            received.AddRange(buffer.AsSpan(0, read));
        }
    }
}
