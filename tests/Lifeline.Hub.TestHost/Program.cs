// Hosts a hub on 127.0.0.1:<port> (args[1], default a free one) with the SQLite store at args[0], auth off, and
// prints "LISTENING <base url>" once it accepts connections. Tests kill it with SIGKILL (no shutdown code runs) or stop
// it with SIGTERM (the host's graceful drain); a restart on the same port lets clients with a fixed URL reconnect.
using System.Globalization;
using System.Net;
using Lifeline.Hub;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var port = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 0;
var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, port));
builder.Services.AddLifelineHub(o =>
{
    o.RequireAuthentication = false;
    o.KeysEnvironmentVariable = null;
    o.Store = HubStoreKind.Sqlite;
    o.SqlitePath = args[0];

    // Clients told to come back after a drain (1001) do so at once: restarts in a test follow each other quickly.
    o.ReconnectJitter = (TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50));
});
var app = builder.Build();
app.MapLifelineHub();
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
Console.WriteLine("LISTENING " + address);
Console.Out.Flush();
await app.WaitForShutdownAsync();
