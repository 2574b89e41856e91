// Tender dev wallet: an EIP-6963 / EIP-1193 wallet backed by a local dev
// chain's unlocked accounts, so a person can pay in the demo without a
// browser extension. The gateway serves this file only in dev mode with
// every network on this machine; CONFIG is written in by the gateway.
(function () {
  const config = CONFIG;
  let chainId = config.chains[0].chainId;
  let nextId = 0;
  const rpcUrl = () => config.chains.find((c) => c.chainId === chainId).rpcUrl;
  async function forward(method, params) {
    const response = await fetch(rpcUrl(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: ++nextId, method, params: params || [] }),
    });
    const answer = await response.json();
    if (answer.error) {
      const error = new Error(answer.error.message);
      error.code = answer.error.code;
      throw error;
    }
    return answer.result;
  }
  const provider = {
    isTenderDevWallet: true,
    async request({ method, params }) {
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [config.accounts[0]];
        case "eth_chainId":
          return "0x" + chainId.toString(16);
        case "wallet_switchEthereumChain": {
          const wanted = parseInt(params[0].chainId, 16);
          if (!config.chains.some((c) => c.chainId === wanted)) {
            const error = new Error("Unrecognized chain");
            error.code = 4902;
            throw error;
          }
          chainId = wanted;
          return null;
        }
        default:
          return forward(method, params);
      }
    },
    on() {},
    removeListener() {},
  };
  const info = Object.freeze({
    uuid: "7e1d3c52-7d1f-4f0b-9a57-tender000dev",
    name: "Tender dev wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'%3E%3Crect width='24' height='24' rx='5' fill='%231d4ed8'/%3E%3Ctext x='12' y='17' font-size='13' text-anchor='middle' fill='white' font-family='sans-serif'%3ET%3C/text%3E%3C/svg%3E",
    rdns: "dev.tender.devwallet",
  });
  const announce = () =>
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})();
