using System.Net;

namespace Lifeline.Cli.Hub;

/// <summary>A hub answer with an error status; transient ones (5xx, 408, 429) may be retried.</summary>
internal sealed class HubRequestException : CliException
{
    private HubRequestException(string message, int exitCode, HttpStatusCode status, HubError? error)
        : base(message, exitCode)
    {
        Status = status;
        Error = error;
    }

    public HttpStatusCode Status { get; }

    public HubError? Error { get; }

    public bool IsTransient => (int)Status >= 500 || Status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    public static HubRequestException From(HttpStatusCode status, HubError? error, HubEndpoint endpoint, string scope)
    {
        var code = (int)status;
        var detail = error?.Message is { Length: > 0 } text ? $": {text}" : string.Empty;
        return status switch
        {
            HttpStatusCode.Unauthorized => new($"the hub at {endpoint} refused the key ({code} unauthorized){detail}; pass a valid key with --key or {GlobalOptions.KeyVariable}", ExitCodes.Unauthorized, status, error),
            // The hub's own message says why (a missing scope, or a no-auth hub refusing a remote client): say it once.
            HttpStatusCode.Forbidden => new(error?.Message is { Length: > 0 } reason
                ? $"the hub at {endpoint} refused the request ({code} forbidden): {reason}"
                : $"the key lacks the '{scope}' scope on the hub at {endpoint} ({code} forbidden)", ExitCodes.Unauthorized, status, error),
            _ => new($"the hub at {endpoint} answered {code} {error?.Error ?? status.ToString()}{detail}", ExitCodes.Failure, status, error),
        };
    }
}
