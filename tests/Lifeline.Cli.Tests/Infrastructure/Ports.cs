using System.Net;
using System.Net.Sockets;

namespace Lifeline.Cli.Tests;

internal static class Ports
{
    /// <summary>A loopback URL nobody listens on: a port just taken from the OS and released.</summary>
    public static string RefusingUrl()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}";
    }
}
