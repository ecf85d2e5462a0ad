using Lifeline.Hub.Monitoring;
using Lifeline.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Lifeline.Hub.Hosting;

/// <summary>
/// Answers the client's mistakes that Kestrel reports by throwing while a hub endpoint reads the request: a malformed
/// body (a broken chunk, a body that ends before its length) is <c>400 bad_request</c>, a body over Kestrel's own
/// limit <c>413 too_large</c>. Without this they reached Kestrel as unhandled exceptions: <c>500</c> with an empty
/// body, logged at error level as the server's fault (issue 11). Logged at warning, as other rejected input is.
/// </summary>
internal sealed partial class ClientErrors(HubMetrics metrics, ILogger<ClientErrors> logger)
{
    /// <summary>Wraps an endpoint so a malformed request gets its documented answer.</summary>
    public RequestDelegate Guard(RequestDelegate endpoint) => async context =>
    {
        try
        {
            await endpoint(context).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            var (status, code) = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? (StatusCodes.Status413PayloadTooLarge, ErrorCodes.TooLarge)
                : (StatusCodes.Status400BadRequest, ErrorCodes.BadRequest);
            metrics.BadInput(code);
            LogMalformedRequest(logger, context.Request.Method, context.Request.Path, status, e.Message);
            if (!context.Response.HasStarted)
            {
                await HttpResults.ErrorAsync(context, status, code, $"malformed request: {e.Message}").ConfigureAwait(false);
            }
        }
    };

    [LoggerMessage(EventId = 71, Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "{Method} {Path} refused ({Status}): malformed request: {Reason}")]
    private static partial void LogMalformedRequest(ILogger logger, string method, PathString path, int status, string reason);
}
