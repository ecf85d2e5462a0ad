using System.Net.WebSockets;

namespace Lifeline.Client.Internal;

/// <summary>Why a connection ended, as reported by whichever loop noticed first.</summary>
internal sealed record DisconnectInfo(DisconnectReason Reason, WebSocketCloseStatus? CloseStatus = null, string? CloseDescription = null, Exception? Exception = null);

/// <summary>A close event: connection <paramref name="Epoch"/> ended. The supervisor acts only on the current epoch's first one.</summary>
internal readonly record struct ConnectionEnd(long Epoch, DisconnectInfo Info);
