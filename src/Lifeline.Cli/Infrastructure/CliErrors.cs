using System.Net.Sockets;
using System.Net.WebSockets;

namespace Lifeline.Cli;

/// <summary>Turns any exception that escapes a command into one line and an exit code: the user never sees a stack trace.</summary>
internal static class CliErrors
{
    /// <param name="exception">What escaped.</param>
    /// <param name="endpoint">The hub the command talked to, named in the message.</param>
    /// <param name="hint">
    /// Whether a refused connection adds how to start a hub: yes for the final error, no for the lines of a retry or
    /// reconnect, which would otherwise repeat the hint on every attempt.
    /// </param>
    public static (string Message, int ExitCode) Describe(Exception exception, HubEndpoint? endpoint, bool hint = true)
    {
        var where = endpoint is null ? "the hub" : $"the hub at {endpoint}";
        switch (exception)
        {
            case CliException cli:
                return (cli.Message, cli.ExitCode);
            case AggregateException { InnerExceptions.Count: 1 } aggregate:
                return Describe(aggregate.InnerExceptions[0], endpoint, hint);
        }

        if (Find<SocketException>(exception) is { } socket)
        {
            var reason = socket.SocketErrorCode switch
            {
                SocketError.ConnectionRefused when hint => "connection refused (is it running? start one with 'lifeline serve' or 'lifeline demo')",
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => "unknown host",
                SocketError.TimedOut => "connection timed out",
                SocketError.ConnectionReset => "connection reset",
                _ => socket.Message,
            };
            return ($"cannot reach {where}: {reason}", ExitCodes.Unreachable);
        }

        return exception switch
        {
            HttpRequestException http => ($"cannot reach {where}: {http.Message}", ExitCodes.Unreachable),
            WebSocketException ws => ($"connection to {where} failed: {ws.Message}", ExitCodes.Unreachable),
            TimeoutException or TaskCanceledException => ($"{where} did not answer in time", ExitCodes.Unreachable),
            IOException io => ($"i/o error: {io.Message}", ExitCodes.Failure),
            UnauthorizedAccessException denied => ($"access denied: {denied.Message}", ExitCodes.Failure),
            _ => ($"unexpected error ({exception.GetType().Name}): {exception.Message}", ExitCodes.Failure),
        };
    }

    private static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T found)
            {
                return found;
            }
        }

        return null;
    }
}
