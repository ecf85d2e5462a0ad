using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Lifeline.Protocol;

namespace Lifeline.Cli.Hub;

/// <summary>
/// The hub's HTTP endpoints (docs/protocol.md): publish, stats. Owns its <see cref="HttpClient"/>; dispose it so the
/// connection pool's cleanup timer ends with the command. Thread-safe for concurrent requests.
/// </summary>
internal sealed class HubHttpClient : IDisposable
{
    private readonly HttpClient _http;

    public HubHttpClient(HubEndpoint endpoint, TimeSpan? timeout = null)
    {
        Endpoint = endpoint;
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(10) })
        {
            BaseAddress = endpoint.BaseUri,
            Timeout = timeout ?? TimeSpan.FromSeconds(100),
        };
        if (endpoint.Key is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", endpoint.Key);
        }
    }

    public HubEndpoint Endpoint { get; }

    /// <summary><c>GET /v1/stats</c> as a JSON document (its fields only grow, so it is rendered generically).</summary>
    public async Task<JsonDocument> GetStatsAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("v1/stats", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "read", cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (body.ConfigureAwait(false))
        {
            return await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// <c>GET /v1/logs</c>: up to <paramref name="limit"/> entries matching <paramref name="filter"/> after
    /// <paramref name="after"/>, oldest first, each with its JSON as the hub sent it; <c>More</c> when a next page exists.
    /// </summary>
    public async Task<QueryPage> QueryAsync(LogFilter filter, long? after, int limit, CancellationToken cancellationToken)
    {
        var query = filter.WithAfter(after).ToQueryString();
        var uri = new Uri($"v1/logs?{query}{(query.Length > 0 ? "&" : string.Empty)}limit={limit.ToString(CultureInfo.InvariantCulture)}", UriKind.Relative);
        using var response = await _http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "read", cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        using var page = JsonDocument.Parse(body);
        var root = page.RootElement;
        var entries = root.GetProperty("entries").EnumerateArray()
            .Select(item => item.Deserialize(CliJsonContext.Default.StreamEntry)! with { Raw = item.GetRawText() })
            .ToList();
        return new QueryPage(entries, root.GetProperty("lastId").GetInt64(), root.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String);
    }

    /// <summary>
    /// <c>POST /v1/logs</c> with an NDJSON body. <paramref name="idempotencyKey"/> makes a retry of the same batch safe:
    /// the hub stores it once and replays its first answer.
    /// </summary>
    public async Task<PublishAck> PublishAsync(ReadOnlyMemory<byte> ndjson, string idempotencyKey, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("v1/logs", UriKind.Relative))
        {
            Content = new ReadOnlyMemoryContent(ndjson),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, "write", cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadFromJsonAsync(CliJsonContext.Default.PublishAck, cancellationToken).ConfigureAwait(false);
        return body ?? throw new CliException("the hub answered a publish with an empty body");
    }

    /// <summary>Maps an error status to a <see cref="HubRequestException"/> carrying the hub's error code and message.</summary>
    private async Task EnsureSuccessAsync(HttpResponseMessage response, string scope, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        HubError? error = null;
        try
        {
            error = await response.Content.ReadFromJsonAsync(CliJsonContext.Default.HubError, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            // Not a hub error body (a proxy's page, say): the status alone is reported.
        }
        catch (NotSupportedException)
        {
            // No JSON content type: same.
        }

        throw HubRequestException.From(response.StatusCode, error, Endpoint, scope);
    }

    public void Dispose() => _http.Dispose();
}
