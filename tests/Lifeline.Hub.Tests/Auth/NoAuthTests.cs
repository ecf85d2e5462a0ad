using System.Net;
using Lifeline.Hub.Auth;
using Lifeline.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Lifeline.Hub.Tests.Auth;

/// <summary>Without authentication the hub serves loopback connections only (checked per request, whatever it is bound to).</summary>
public class NoAuthTests
{
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("::1", "::1", true)]
    [InlineData("::ffff:127.0.0.1", "::ffff:127.0.0.1", true)]
    [InlineData("::ffff:10.0.0.1", "::ffff:127.0.0.1", false)]
    [InlineData("10.1.2.3", "127.0.0.1", false)]
    [InlineData("127.0.0.1", "192.168.1.20", false)]
    public async Task NoAuth_RefusesNonLoopbackConnections_With403(string local, string remote, bool allowed)
    {
        var options = new HubOptions { RequireAuthentication = false };
        await using var keys = new ApiKeyStore(Options.Create(options), NullLogger<ApiKeyStore>.Instance);
        var auth = new HubAuth(keys, options, NullLogger<HubAuth>.Instance);
        var context = new DefaultHttpContext();
        context.Connection.LocalIpAddress = IPAddress.Parse(local);
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        context.Response.Body = new MemoryStream();

        var (ok, key) = await auth.AuthorizeAsync(context, HubScopes.Write);

        Assert.Equal(allowed, ok);
        Assert.Null(key);
        if (!allowed)
        {
            Assert.Equal(StatusCodes.Status403Forbidden, context.Response.StatusCode);
            Assert.Equal(ErrorCodes.Forbidden, HttpBodyJson.ParseErrorBody(((MemoryStream)context.Response.Body).ToArray()).Error);
        }
    }
}
