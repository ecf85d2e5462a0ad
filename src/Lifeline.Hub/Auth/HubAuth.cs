using System.Net;
using Lifeline.Hub.Hosting;
using Lifeline.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Auth;

/// <summary>
/// Authenticates a request (docs/protocol.md, "Authentication"): bearer header, then <c>access_token</c>, then the
/// <c>lifeline.key.&lt;key&gt;</c> subprotocol. On failure it writes the documented status and body.
/// With authentication off it serves loopback connections only.
/// </summary>
internal sealed partial class HubAuth(ApiKeyStore keys, HubOptions options, ILogger<HubAuth> logger)
{
    public const string SubProtocol = "lifeline.v1";
    private const string KeyProtocolPrefix = "lifeline.key.";

    /// <summary>Returns whether the request may go on; the key is <see langword="null"/> with auth off.</summary>
    public async Task<(bool Ok, ApiKey? Key)> AuthorizeAsync(HttpContext context, HubScopes scope)
    {
        if (!options.RequireAuthentication)
        {
            if (IsLoopback(context.Connection.LocalIpAddress) && IsLoopback(context.Connection.RemoteIpAddress))
            {
                return (true, null);
            }

            LogNotLoopback(logger, context.Connection.RemoteIpAddress);
            await HttpResults.ErrorAsync(context, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, "this hub runs without authentication and serves loopback connections only").ConfigureAwait(false);
            return (false, null);
        }

        var secret = FindSecret(context.Request);
        if (secret is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await HttpResults.ErrorAsync(context, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "an API key is required").ConfigureAwait(false);
            return (false, null);
        }

        var key = keys.Find(secret);
        if (key is null)
        {
            LogUnknownKey(logger, context.Request.Path);
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            await HttpResults.ErrorAsync(context, StatusCodes.Status401Unauthorized, ErrorCodes.Unauthorized, "unknown, revoked or expired key").ConfigureAwait(false);
            return (false, null);
        }

        if (!key.Allows(scope))
        {
            LogForbidden(logger, key.Id, scope);
            await HttpResults.ErrorAsync(context, StatusCodes.Status403Forbidden, ErrorCodes.Forbidden, $"the key lacks the '{scope.ToString().ToLowerInvariant()}' scope").ConfigureAwait(false);
            return (false, null);
        }

        return (true, key);
    }

    /// <summary>The subprotocol to select: <c>lifeline.v1</c> when the client offered it.</summary>
    public static string? SelectSubProtocol(HttpContext context) => SelectSubProtocol(context.WebSockets.WebSocketRequestedProtocols);

    /// <summary>The subprotocol to select from those <paramref name="offered"/>: <c>lifeline.v1</c>, or none.</summary>
    public static string? SelectSubProtocol(IList<string> offered) => offered.Contains(SubProtocol) ? SubProtocol : null;

    /// <summary>
    /// The key a request is allowed to use for <paramref name="scope"/>, checked without answering (the connection-level
    /// stream upgrade, <see cref="StreamUpgradeMiddleware"/>): <see langword="false"/> sends the request on to the HTTP
    /// endpoint, which answers and logs the refusal.
    /// </summary>
    public bool TryAuthorize(string? authorization, string? accessToken, IList<string> protocols, IPAddress? local, IPAddress? remote, HubScopes scope, out ApiKey? key)
    {
        key = null;
        if (!options.RequireAuthentication)
        {
            return IsLoopback(local) && IsLoopback(remote);
        }

        key = FindSecret(authorization, accessToken, protocols) is { } secret ? keys.Find(secret) : null;
        return key is not null && key.Allows(scope);
    }

    private static string? FindSecret(HttpRequest request) =>
        FindSecret(request.Headers.Authorization.ToString(), request.Query["access_token"].ToString(), request.HttpContext.WebSockets.WebSocketRequestedProtocols);

    private static string? FindSecret(string? authorization, string? accessToken, IList<string> protocols)
    {
        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization[7..].Trim();
        }

        if (!string.IsNullOrEmpty(accessToken))
        {
            return accessToken;
        }

        foreach (var p in protocols)
        {
            if (p.StartsWith(KeyProtocolPrefix, StringComparison.Ordinal))
            {
                return p[KeyProtocolPrefix.Length..];
            }
        }

        return null;
    }

    private static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);

    [LoggerMessage(EventId = 60, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Refused {Remote}: the hub runs without authentication and serves loopback only")]
    private static partial void LogNotLoopback(ILogger logger, IPAddress? remote);

    [LoggerMessage(EventId = 61, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Unknown, revoked or expired key on {Path}")]
    private static partial void LogUnknownKey(ILogger logger, PathString path);

    [LoggerMessage(EventId = 62, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Key {Id} lacks scope {Scope}")]
    private static partial void LogForbidden(ILogger logger, string id, HubScopes scope);
}
