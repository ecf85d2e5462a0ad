using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;

namespace Lifeline.Cli.Hub;

internal sealed partial class LogStreamSubscriber
{
    /// <summary>A received text message (in the buffer), or why the connection ended and when to retry.</summary>
    private readonly record struct Received(string? Failure, TimeSpan? RetryHint);

    /// <summary>
    /// Reads one whole message. Returns a failure for anything worth reconnecting over; throws a
    /// <see cref="CliException"/> for close codes that say retrying cannot help (docs/protocol.md, "Close codes"),
    /// and <see cref="OperationCanceledException"/> only when <paramref name="stopToken"/> is cancelled.
    /// </summary>
    private async Task<Received> TryReceiveAsync(ClientWebSocket socket, ArrayBufferWriter<byte> buffer, CancellationToken receiveToken, CancellationToken stopToken)
    {
        buffer.ResetWrittenCount();
        try
        {
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer.GetMemory(8192), receiveToken).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return OnClose(socket.CloseStatus, socket.CloseStatusDescription);
                }

                buffer.Advance(result.Count);
                if (result.EndOfMessage)
                {
                    return default;
                }
            }
        }
        catch (Exception exception) when (!stopToken.IsCancellationRequested && exception is WebSocketException or OperationCanceledException or IOException)
        {
            return new($"connection lost ({exception.Message})", null);
        }
    }

    private Received OnClose(WebSocketCloseStatus? status, string? description)
    {
        var code = (int)(status ?? WebSocketCloseStatus.Empty);
        TimeSpan? hint = null;
        if (description is { Length: > 0 } && description[0] == '{')
        {
            try
            {
                using var reason = JsonDocument.Parse(description);
                if (reason.RootElement.TryGetProperty("retryAfterMs", out var retry) && retry.TryGetInt64(out var ms))
                {
                    hint = TimeSpan.FromMilliseconds(Math.Clamp(ms, 0, 60_000));
                }
            }
            catch (JsonException)
            {
                // A reason that is not JSON carries no hint.
            }
        }

        return code switch
        {
            1001 => new("the hub is shutting down (1001)", hint),
            1011 or (>= 4000 and <= 4099) => new($"the hub closed the stream ({code} {description})", hint),
            1000 => throw new CliException($"the hub at {endpoint} ended the stream (1000)", ExitCodes.Failure),
            4401 => throw new CliException($"the hub at {endpoint} refused the key (4401: unknown, revoked or expired); pass a valid key with --key or {GlobalOptions.KeyVariable}", ExitCodes.Unauthorized),
            4403 => throw new CliException($"the key lacks the 'read' scope on the hub at {endpoint} (4403)", ExitCodes.Unauthorized),
            >= 1002 and <= 1010 or >= 4400 and <= 4499 => throw new CliException($"the hub at {endpoint} closed the stream: {code} {description}", ExitCodes.Failure),
            _ => new($"the hub closed the stream ({code} {description})", hint),
        };
    }
}
