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
            HttpStatusCode.Forbidden => new($"the key lacks the '{scope}' scope on the hub at {endpoint} ({code} forbidden){detail}", ExitCodes.Unauthorized, status, error),
            _ => new($"the hub at {endpoint} answered {code} {error?.Error ?? status.ToString()}{detail}", ExitCodes.Failure, status, error),
        };
    }
}
