using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using Lifeline.Hub.Tests.Infrastructure;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Lifeline.Testing.Time;

namespace Lifeline.Hub.Tests.Auth;

public sealed class AuthTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lifeline-keys-").FullName;

    private string KeysFile => Path.Combine(_dir, "keys.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void WriteKeys(params (string Id, string Key, string Scopes)[] keys) =>
        File.WriteAllText(KeysFile, "{\"keys\":[" + string.Join(",", keys.Select(k =>
            $"{{\"id\":\"{k.Id}\",\"key\":\"{k.Key}\",\"scopes\":[{string.Join(",", k.Scopes.Split(',').Select(s => $"\"{s}\""))}]}}")) + "]}");

    private Task<HubHost> StartAsync(Action<HubOptions>? more = null) => HubHost.StartAsync(o =>
    {
        o.RequireAuthentication = true;
        o.KeysFile = KeysFile;
        more?.Invoke(o);
    });

    [Fact]
    public async Task Http_NoKey401WithChallenge_UnknownKey401_WrongScope403_RightScope200()
    {
        WriteKeys(("reader", "r-secret", "read"), ("writer", "w-secret", "write"));
        await using var hub = await StartAsync();

        using (var none = await hub.Http.GetAsync("v1/logs"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
            Assert.Equal(ErrorCodes.Unauthorized, HttpBodyJson.ParseErrorBody(await none.Content.ReadAsByteArrayAsync()).Error);
        }

        using (var unknown = await hub.PostRawAsync("[]", "application/json", key: "nope"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        }

        using (var wrongScope = await hub.PostRawAsync("[]", "application/json", key: "r-secret"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, wrongScope.StatusCode);
            Assert.Equal(ErrorCodes.Forbidden, HttpBodyJson.ParseErrorBody(await wrongScope.Content.ReadAsByteArrayAsync()).Error);
        }

        using (var ok = await hub.PostRawAsync("[{\"message\":\"m\"}]", "application/json", key: "w-secret"))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/stats");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "r-secret");
        using var stats = await hub.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);

        // Health needs no key.
        Assert.Equal("""{"status":"ok"}""", await hub.Http.GetStringAsync("healthz"));
    }

    [Fact]
    public async Task WebSocket_KeyByQueryParameter_OrSubprotocol_IsAccepted_AndSelectsLifelineV1()
    {
        WriteKeys(("reader", "r-secret", "read"));
        await using var hub = await StartAsync();

        using (var byQuery = new ClientWebSocket())
        {
            await byQuery.ConnectAsync(hub.WsUri("v1/stream?access_token=r-secret"), CancellationToken.None).OrTimeout();
            await using var sub = new TestSubscriber(byQuery);
            Assert.IsType<HelloMessage>(await sub.ReceiveAsync());
        }

        using var byProtocol = new ClientWebSocket();
        byProtocol.Options.AddSubProtocol("lifeline.v1");
        byProtocol.Options.AddSubProtocol("lifeline.key.r-secret");
        await byProtocol.ConnectAsync(hub.WsUri("v1/stream"), CancellationToken.None).OrTimeout();
        Assert.Equal("lifeline.v1", byProtocol.SubProtocol);
        await using var sub2 = new TestSubscriber(byProtocol);
        Assert.IsType<HelloMessage>(await sub2.ReceiveAsync());
    }

    [Fact]
    public async Task WebSocket_WithoutKey_HandshakeIs401_WrongScopeIs403()
    {
        WriteKeys(("writer", "w-secret", "write"));
        await using var hub = await StartAsync();
        using var none = new ClientWebSocket();
        none.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => none.ConnectAsync(hub.WsUri("v1/stream"), CancellationToken.None).OrTimeout());
        Assert.Equal(HttpStatusCode.Unauthorized, none.HttpStatusCode);

        using var wrong = new ClientWebSocket();
        wrong.Options.CollectHttpResponseDetails = true;
        wrong.Options.SetRequestHeader("Authorization", "Bearer w-secret");
        await Assert.ThrowsAsync<WebSocketException>(() => wrong.ConnectAsync(hub.WsUri("v1/stream"), CancellationToken.None).OrTimeout());
        Assert.Equal(HttpStatusCode.Forbidden, wrong.HttpStatusCode);
    }

    [Fact]
    public async Task KeyRemovedFromFile_ClosesItsOpenStreamsWith4401_AtTheNextReload_OthersStay()
    {
        WriteKeys(("a", "a-secret", "read"), ("b", "b-secret", "read"));
        var time = new ManualTimeProvider();
        await using var hub = await StartAsync(o => o.TimeProvider = time);
        await using var a = await hub.SubscribeAsync(key: "a-secret");
        await using var b = await hub.SubscribeAsync(key: "b-secret");
        await a.ReceiveUntilAsync<LiveMessage>();
        await b.ReceiveUntilAsync<LiveMessage>();

        WriteKeys(("b", "b-secret", "read"));
        await time.WaitForTimersAsync(2).OrTimeout();   // heartbeat and keys-reload timers
        time.Advance(TimeSpan.FromSeconds(2));

        var (status, _) = await a.ReceiveCloseAsync();
        Assert.Equal(CloseCodes.Unauthorized, (int)status!);
        Assert.Equal(WebSocketState.Open, b.Socket.State);
        using var after = await hub.PostRawAsync("[]", "application/json", key: "a-secret");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.True(hub.Logged("API key a revoked"));
    }

    /// <summary>
    /// Regression (issue 11, point 7): a keys file that was not valid JSON at start started the hub with no keys (every
    /// request 401). At start the hub now refuses to start, naming the file and the JSON error; on a later reload the
    /// keys loaded before stay in force.
    /// </summary>
    [Fact]
    public async Task KeysFileNotJson_AtStart_HubRefusesToStart_AtReload_PreviousKeysStay()
    {
        File.WriteAllText(KeysFile, "{\"keys\":[{\"id\":\"a\",");
        var refused = await Assert.ThrowsAsync<KeysFileException>(() => StartAsync());
        Assert.Equal(KeysFile, refused.Path);
        Assert.StartsWith($"keys file '{KeysFile}' is invalid: ", refused.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<System.Text.Json.JsonException>(refused.InnerException);

        WriteKeys(("a", "a-secret", "read"));
        var time = new ManualTimeProvider();
        await using var hub = await StartAsync(o => o.TimeProvider = time);
        File.WriteAllText(KeysFile, "{\"keys\":[");
        await time.WaitForTimersAsync(2).OrTimeout();   // heartbeat and keys-reload timers
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hub.LogWritten += line => { if (line.Contains("is invalid; keeping", StringComparison.Ordinal)) { reloaded.TrySetResult(); } };
        time.Advance(TimeSpan.FromSeconds(2));
        await reloaded.Task.OrTimeout();

        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/logs");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "a-secret");
        using var response = await hub.Http.SendAsync(request).OrTimeout();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task AdminRevokeEndpoint_ClosesTheKeysStreams_AndLaterRequestsAre401()
    {
        WriteKeys(("admin", "adm", "admin"), ("tail", "t-secret", "read"));
        await using var hub = await StartAsync();
        await using var sub = await hub.SubscribeAsync(key: "t-secret");
        await sub.ReceiveUntilAsync<LiveMessage>();

        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/keys/revoke") { Content = new StringContent("""{"id":"tail"}""", Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "adm");
        using var response = await hub.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Equal(CloseCodes.Unauthorized, (int)(await sub.ReceiveCloseAsync()).Status!);
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", "Bearer t-secret");
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(hub.WsUri("v1/stream"), CancellationToken.None).OrTimeout());
        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Fact]
    public async Task KeysFromEnvironmentVariable_AreAccepted()
    {
        var variable = "LIFELINE_TEST_KEYS_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(variable, "env-w=write;env-r=read");
        try
        {
            await using var hub = await HubHost.StartAsync(o =>
            {
                o.RequireAuthentication = true;
                o.KeysEnvironmentVariable = variable;
            });
            using var ok = await hub.PostRawAsync("[{\"message\":\"m\"}]", "application/json", key: "env-w");
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            using var forbidden = await hub.PostRawAsync("[]", "application/json", key: "env-r");
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task NoAuth_ServesLoopback_AndSaysSoLoudly()
    {
        await using var hub = await HubHost.StartAsync(o => o.RequireAuthentication = false);
        Assert.Equal(new PublishResult(1, 1, 1), await hub.PostManyAsync(1));
        Assert.Contains(hub.Logs.GetSnapshot(), l => l.Level == Microsoft.Extensions.Logging.LogLevel.Critical && l.Message.Contains("AUTHENTICATION IS OFF", StringComparison.Ordinal));
    }
}
