using System.Net.WebSockets;
using Lifeline.Testing.Tasks;

namespace Lifeline.Hub.Tests.Infrastructure;

/// <summary>Whole-message receive shared by the test clients (other test projects link this file).</summary>
internal static class WebSocketMessages
{
    /// <summary>Receives one whole text message into <paramref name="buffer"/>; returns its length, or <see langword="null"/> on close.</summary>
    public static async Task<int?> ReceiveAsync(ClientWebSocket socket, byte[] buffer)
    {
        var length = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).OrTimeout(TimeSpan.FromSeconds(30));
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return length;
            }
        }
    }
}
