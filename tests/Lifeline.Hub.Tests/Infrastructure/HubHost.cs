using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using Lifeline.Hub;
using Lifeline.Protocol;
using Lifeline.Testing.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;


namespace Lifeline.Hub.Tests.Infrastructure;

/// <summary>
/// A real hub on Kestrel at 127.0.0.1:0 for tests: <c>await using var hub = await HubHost.StartAsync(o => ...)</c>.
/// Authentication is off unless the test configures it (so most tests need no key). Dispose stops the host
/// (graceful drain) so the leak verifier sees nothing running. Log records are kept in <see cref="Logs"/> (the ecosystem's FakeLogCollector).
/// </summary>
internal sealed class HubHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private HubHost(WebApplication app, Uri baseUri, FakeLogCollector logs)
    {
        _app = app;
        BaseUri = baseUri;
        Logs = logs;
        Http = new HttpClient { BaseAddress = baseUri };
    }

    /// <summary><c>http://127.0.0.1:port</c> plus the prefix.</summary>
    public Uri BaseUri { get; }

    public HttpClient Http { get; }

    public FakeLogCollector Logs { get; }

    /// <summary>Raised with each log record's text once <see cref="Logs"/> keeps it (tests wait on it instead of polling).</summary>
    public event Action<string>? LogWritten;

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts a hub; <paramref name="configure"/> sets options after the test defaults (auth off). Streams are served at
    /// the connection level (<c>UseLifelineStreams</c>, as <c>lifeline serve</c> does) unless <paramref name="leanStreams"/>
    /// is <see langword="false"/> (the HTTP endpoint alone, as a host that only maps the hub).
    /// </summary>
    public static async Task<HubHost> StartAsync(Action<HubOptions>? configure = null, string prefix = "", bool leanStreams = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        HubHost? host = null;
        var logs = FakeLogCollector.Create(new FakeLogCollectorOptions { OutputSink = line => host?.LogWritten?.Invoke(line) });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new FakeLoggerProvider(logs));
        builder.Logging.SetMinimumLevel(Microsoft.Extensions.Logging.LogLevel.Information);
        builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0, l =>
        {
            if (leanStreams)
            {
                l.UseLifelineStreams(prefix);
            }
        }));
        builder.Services.AddLifelineHub(o =>
        {
            o.RequireAuthentication = false;
            o.KeysEnvironmentVariable = null;
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.MapLifelineHub(prefix);
        try
        {
            await app.StartAsync().OrTimeout(TimeSpan.FromSeconds(30));
        }
        catch
        {
            // A hub that refuses to start leaves nothing running.
            await app.DisposeAsync();
            throw;
        }

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
        host = new HubHost(app, new Uri(address.TrimEnd('/') + prefix + "/"), logs);
        return host;
    }

    /// <summary>Whether a log record's message contains <paramref name="text"/> (case-insensitive).</summary>
    public bool Logged(string text) => Logs.GetSnapshot().Any(r => r.Message.Contains(text, StringComparison.OrdinalIgnoreCase));

    public Uri WsUri(string pathAndQuery) => new(new Uri(BaseUri.ToString().Replace("http://", "ws://", StringComparison.Ordinal)), pathAndQuery.TrimStart('/'));

    /// <summary>Connects a subscriber to <c>/v1/stream</c> with <paramref name="query"/>.</summary>
    public async Task<TestSubscriber> SubscribeAsync(string query = "", string? key = null)
    {
        var socket = new ClientWebSocket();
        if (key is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + key);
        }

        await socket.ConnectAsync(WsUri("v1/stream" + (query.Length > 0 ? "?" + query : "")), CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
        return new TestSubscriber(socket);
    }

    /// <summary>POSTs entries as a JSON array and returns the answer.</summary>
    public async Task<PublishResult> PostAsync(params LogEntry[] entries)
    {
        using var response = await PostRawAsync(SerializeArray(entries), "application/json");
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, Encoding.UTF8.GetString(body));
        return HttpBodyJson.ParsePublishResult(body);
    }

    /// <summary>POSTs <paramref name="count"/> generated entries ("m1", "m2", ...) starting at <paramref name="first"/>.</summary>
    public Task<PublishResult> PostManyAsync(int count, int first = 1, LogEntryLevel level = LogEntryLevel.Information, string source = "test") =>
        PostAsync([.. Enumerable.Range(first, count).Select(i => new LogEntry { Message = $"m{i}", Level = level, Source = source })]);

    public Task<HttpResponseMessage> PostRawAsync(string body, string contentType, string? key = null, string? idempotencyKey = null) =>
        PostRawAsync(Encoding.UTF8.GetBytes(body), contentType, key, idempotencyKey);

    public async Task<HttpResponseMessage> PostRawAsync(byte[] body, string contentType, string? key = null, string? idempotencyKey = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/logs") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.Add("Idempotency-Key", idempotencyKey);
        }

        return await Http.SendAsync(request).OrTimeout(TimeSpan.FromSeconds(30));
    }

    public static byte[] SerializeArray(IEnumerable<LogEntry> entries) =>
        Encoding.UTF8.GetBytes("[" + string.Join(",", entries.Select(e => Encoding.UTF8.GetString(LogEntryJson.Serialize(e)))) + "]");

    /// <summary>Stops the host (graceful drain); the test may then assert what clients saw.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _app.StopAsync().OrTimeout(TimeSpan.FromSeconds(60));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
        Http.Dispose();
    }
}
