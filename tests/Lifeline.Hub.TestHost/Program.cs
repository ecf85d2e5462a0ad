// Hosts a hub on 127.0.0.1:<free port> with the SQLite store at args[0], auth off, and prints
// "LISTENING <base url>" once it accepts connections. Tests kill it with Process.Kill (SIGKILL).
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

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(o => o.Listen(IPAddress.Loopback, 0));
builder.Services.AddLifelineHub(o =>
{
    o.RequireAuthentication = false;
    o.KeysEnvironmentVariable = null;
    o.Store = HubStoreKind.Sqlite;
    o.SqlitePath = args[0];
});
var app = builder.Build();
app.MapLifelineHub();
await app.StartAsync();
var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single();
Console.WriteLine("LISTENING " + address);
Console.Out.Flush();
await app.WaitForShutdownAsync();
