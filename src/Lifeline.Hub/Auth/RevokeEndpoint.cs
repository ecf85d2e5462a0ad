using Lifeline.Hub.Core;
using System.Text.Json;
using Lifeline.Hub.Hosting;
using Lifeline.Hub.Monitoring;
using Lifeline.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub.Auth;

/// <summary><c>POST /v1/keys/revoke</c> (scope <c>admin</c>): body <c>{"id":"&lt;key id&gt;"}</c> (docs/protocol.md, "Key management").</summary>
internal sealed partial class RevokeEndpoint(HubAuth auth, ApiKeyStore keys, HubMetrics metrics, IOptions<HubOptions> options, ILogger<RevokeEndpoint> logger)
{
    /// <summary>The largest body read: a key id is short, and a revoke body has nothing else.</summary>
    internal const int MaxBodyBytes = 64 * 1024;

    /// <summary>
    /// How long a clustered node waits for the engine to take a revocation before answering 503: longer than a stream
    /// leader's election (about 5-6 s, docs/cluster.md), so a revoke during a fail-over is still answered 200.
    /// </summary>
    internal static readonly TimeSpan ClusterConfirmTimeout = TimeSpan.FromSeconds(10);

    private const string Shape = """the body must be {"id":"<key id>"}""";

    public async Task HandleAsync(HttpContext context)
    {
        var (ok, _) = await auth.AuthorizeAsync(context, HubScopes.Admin).ConfigureAwait(false);
        if (!ok)
        {
            return;
        }

        var (body, length) = await RequestBody.ReadAsync(context, MaxBodyBytes).ConfigureAwait(false);
        if (body is null)
        {
            metrics.BadInput(ErrorCodes.TooLarge);
            LogRejected(logger, ErrorCodes.TooLarge, $"body over {MaxBodyBytes} bytes");
            await HttpResults.ErrorAsync(context, StatusCodes.Status413PayloadTooLarge, ErrorCodes.TooLarge, $"the body is larger than {MaxBodyBytes} bytes").ConfigureAwait(false);
            return;
        }

        string? id;
        try
        {
            id = ParseId(body.AsSpan(0, length));
        }
        finally
        {
            InputBuffers.Return(body);
        }

        if (string.IsNullOrEmpty(id))
        {
            metrics.BadInput(ErrorCodes.InvalidJson);
            LogRejected(logger, ErrorCodes.InvalidJson, Shape);
            await HttpResults.ErrorAsync(context, StatusCodes.Status400BadRequest, ErrorCodes.InvalidJson, Shape).ConfigureAwait(false);
            return;
        }

        if (!keys.Revoke(id, out var shared))
        {
            await HttpResults.ErrorAsync(context, StatusCodes.Status404NotFound, "not_found", $"no key with id '{id}'").ConfigureAwait(false);
            return;
        }

        if (shared is not null)
        {
            try
            {
                await shared.WaitAsync(ClusterConfirmTimeout, options.Value.TimeProvider, context.RequestAborted).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Revoked here already; the node keeps offering it to the engine, and repeating the request is safe.
                await HttpResults.ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.Unavailable, $"key '{id}' is revoked on this node, but the cluster's engine did not take the revocation within {ClusterConfirmTimeout.TotalSeconds:0} s: other nodes get it once the engine is back; repeating this request is safe").ConfigureAwait(false);
                return;
            }
        }

        await HttpResults.JsonAsync(context, HttpBodyJson.SerializeRevoked(id)).ConfigureAwait(false);
    }

    /// <summary>The <c>id</c> of a <c>{"id":"..."}</c> body; <see langword="null"/> for anything else (another JSON value, an id that is not a string or not Unicode text, broken JSON).</summary>
    internal static string? ParseId(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            string? id = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("id"u8);
                reader.Read();
                if (!isId)
                {
                    reader.Skip();
                }
                else if (reader.TokenType == JsonTokenType.String)
                {
                    id = reader.GetString();
                }
                else
                {
                    return null;
                }
            }

            // Past the object's end only whitespace may follow (Read throws on anything else).
            return reader.Read() ? null : id;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // InvalidOperationException: a string that is not Unicode text (bytes that are not UTF-8, a lone surrogate escape).
            return null;
        }
    }

    [LoggerMessage(EventId = 72, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "POST /v1/keys/revoke rejected ({Error}): {Reason}")]
    private static partial void LogRejected(ILogger logger, string error, string reason);
}
