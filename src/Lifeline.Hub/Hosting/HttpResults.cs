using Lifeline.Protocol;
using Microsoft.AspNetCore.Http;

namespace Lifeline.Hub.Hosting;

/// <summary>Writes the hub's JSON answers and error bodies (docs/protocol.md, "Authentication").</summary>
internal static class HttpResults
{
    public static Task ErrorAsync(HttpContext context, int status, string error, string message, int? index = null)
    {
        context.Response.StatusCode = status;
        return JsonAsync(context, HttpBodyJson.Serialize(new ErrorBody(error, message, index)), status);
    }

    public static async Task JsonAsync(HttpContext context, ReadOnlyMemory<byte> body, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
    }

    public static Task UnavailableAsync(HttpContext context) =>
        ErrorAsync(context, StatusCodes.Status503ServiceUnavailable, ErrorCodes.Unavailable, "the hub is shutting down");
}
