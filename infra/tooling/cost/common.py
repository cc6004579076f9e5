"""Provider-neutral types: generated values, local builds and the local Docker engine cost nothing."""

COST_RULES: dict = {}

FREE_TYPES = {
    "random:index/randomPassword:RandomPassword",
    "random:index/randomId:RandomId",
    "random:index/randomString:RandomString",
    "random:index/randomPet:RandomPet",
    "tls:index/privateKey:PrivateKey",
    "tls:index/selfSignedCert:SelfSignedCert",
    "docker-build:index:Image",  # the build runs where `pulumi up` runs; the registry's storage is priced
    "docker:index/image:Image",
    "docker:index/registryImage:RegistryImage",
    "docker:index/container:Container",
    "docker:index/network:Network",
    "docker:index/remoteImage:RemoteImage",
    "docker:index/volume:Volume",  # the local engine (or a droplet, priced as the droplet)
    "command:local:Command",
    "command:remote:Command",
}
