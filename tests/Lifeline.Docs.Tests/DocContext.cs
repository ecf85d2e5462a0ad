// The names a doc block may use without declaring them, because the text around it says what they are: a
// cancellation token, the client being described, the app being built. Compiled next to every block by
// DocsCompileTests through `using static Given` (its members and nested types); nothing here brings a namespace
// into scope, so each block still needs its own usings.
#pragma warning disable IDE1006, CA1707, CA1050, CA1822, CS8618
using System.Net;
using System.Threading.Channels;
using Lifeline.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Lifeline.Docs.Context;

public static class Given
{
    public static CancellationToken ct => CancellationToken.None;

    public static string apiKey => "key";

    public static ILoggerFactory loggerFactory => throw new NotSupportedException();

    public static ILogger logger => throw new NotSupportedException();

    public static LifelineClient client => throw new NotSupportedException();

    public static WebApplicationBuilder builder => throw new NotSupportedException();

    public static WebApplication app => throw new NotSupportedException();

    public static TestServer server => throw new NotSupportedException();

    public static IPEndPoint upstream => throw new NotSupportedException();

    public static Channel<string> channel => throw new NotSupportedException();

    public static OrderBook book => throw new NotSupportedException();

    public static void Handle(string? text)
    {
    }

    public sealed record Tick(string Symbol, decimal Price);

    public sealed class OrderBook
    {
        public void Apply(Tick? tick)
        {
        }
    }

    /// <summary>A server a test started: where it listens, and how to stop it.</summary>
    public sealed class TestServer
    {
        public IPEndPoint EndPoint => throw new NotSupportedException();

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
