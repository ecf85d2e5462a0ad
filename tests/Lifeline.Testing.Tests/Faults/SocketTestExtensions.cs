using System.Net;
using System.Net.Sockets;
using System.Text;
using Lifeline.Testing.Faults;
using Lifeline.Testing.Tasks;

namespace Lifeline.Testing.Tests.Faults;

/// <summary>
/// A plain upstream listener the test accepts from itself (no background loop), and helpers to connect a client
/// through a proxy and read exact byte counts.
/// </summary>
internal sealed class Upstream : IDisposable
{
    public Upstream()
    {
        Listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Listener.Listen(16);
    }

    public Socket Listener { get; }

    public EndPoint EndPoint => Listener.LocalEndPoint!;

    /// <summary>Connects a client through <paramref name="proxy"/> and returns it with the upstream's accepted socket.</summary>
    public async Task<(Socket Client, Socket Server)> ConnectThroughAsync(FaultProxy proxy)
    {
        var accept = Listener.AcceptAsync();
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await client.ConnectAsync(proxy.EndPoint).OrTimeout();
        var server = await accept.OrTimeout();
        return (client, server);
    }

    public void Dispose() => Listener.Dispose();
}

internal static class SocketTestExtensions
{
    public static Task SendTextAsync(this Socket socket, string text)
        => socket.SendAsync(Encoding.UTF8.GetBytes(text), SocketFlags.None);

    /// <summary>Reads exactly <paramref name="count"/> bytes, failing on end of stream.</summary>
    public static async Task<byte[]> ReadExactlyAsync(this Socket socket, int count)
    {
        var buffer = new byte[count];
        var read = 0;
        while (read < count)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None).OrTimeout();
            Assert.True(n > 0, $"end of stream after {read} of {count} bytes");
            read += n;
        }

        return buffer;
    }

    public static async Task<string> ReadTextAsync(this Socket socket, int length)
        => Encoding.UTF8.GetString(await socket.ReadExactlyAsync(length));

    /// <summary>
    /// Connects and reads, returning the error seen: a reset sent right after the accept may surface either from the
    /// connect or from the first receive, depending on when the RST arrives.
    /// </summary>
    public static async Task<SocketError> ConnectAndReceiveErrorAsync(this Socket socket, EndPoint endPoint)
    {
        try
        {
            await socket.ConnectAsync(endPoint).OrTimeout();
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }

        return await socket.ReceiveErrorAsync();
    }

    public static async Task<SocketError> ReceiveErrorAsync(this Socket socket)
    {
        var buffer = new byte[64];
        try
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None).OrTimeout();
            return n == 0 ? SocketError.Disconnecting : SocketError.Success;
        }
        catch (SocketException ex)
        {
            return ex.SocketErrorCode;
        }
    }
}
