// A test-only EIP-1193 wallet, injected into the cashier page by the e2e
// tests: it forwards requests to anvil, whose dev accounts are unlocked, and
// announces itself over EIP-6963 like a real browser extension.
(function (rpcUrl, account) {
  let nextId = 0;
  async function call(method, params) {
    const response = await fetch(rpcUrl, {
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
    isTenderTestWallet: true,
    async request({ method, params }) {
      window.__tenderTestWallet.requests.push(method);
      switch (method) {
        case "eth_requestAccounts":
        case "eth_accounts":
          return [account];
        case "wallet_switchEthereumChain":
          return null;
        case "eth_sendTransaction":
          if (window.__tenderTestWallet.reject) {
            const error = new Error("User rejected the request.");
            error.code = 4001;
            throw error;
          }
          return call(method, params);
        default:
          return call(method, params);
      }
    },
    on() {},
    removeListener() {},
  };
  // Tests set `reject` to make the "user" decline the next payment.
  window.__tenderTestWallet = { requests: [], reject: false };
  const info = Object.freeze({
    uuid: "5b3c1f7e-0000-4000-8000-e2e000000001",
    name: "E2E test wallet",
    icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E",
    rdns: "dev.tender.e2e",
  });
  const announce = () =>
    window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
})(arguments[0], arguments[1]);
