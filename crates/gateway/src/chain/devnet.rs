//! Tooling for local dev chains (anvil): deploy the project's test
//! stablecoin, mint it, and fund accounts. Used by the demo (`tender-gateway
//! devnet`) and the tests; never by a running gateway.

use std::time::{Duration, Instant};

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::sol;
use alloy::sol_types::SolCall;
use anyhow::Context;
use url::Url;

/// The compiled test stablecoin (`cargo xtask contracts` writes it).
const ARTIFACT: &str = include_str!("../../../../contracts/TestStablecoin.json");

/// Decimals of the test stablecoin.
pub const STABLECOIN_DECIMALS: u32 = 6;

sol! {
    function mint(address to, uint256 value) external;
    function balanceOf(address owner) external view returns (uint256);
}

/// A dev chain whose accounts are unlocked.
pub struct Devnet {
    provider: DynProvider,
}

impl Devnet {
    pub fn connect(rpc: Url) -> Self {
        let provider = ProviderBuilder::new()
            .disable_recommended_fillers()
            .connect_http(rpc)
            .erased();
        Self { provider }
    }

    async fn send(&self, request: TransactionRequest) -> anyhow::Result<TransactionReceipt> {
        let hash = *self
            .provider
            .send_transaction(request)
            .await
            .context("eth_sendTransaction")?
            .tx_hash();
        self.receipt(hash).await
    }

    /// Waits (up to 30 s) for a transaction to be mined.
    pub async fn receipt(&self, hash: B256) -> anyhow::Result<TransactionReceipt> {
        let started = Instant::now();
        loop {
            if let Some(receipt) = self.provider.get_transaction_receipt(hash).await? {
                anyhow::ensure!(receipt.status(), "transaction {hash} reverted");
                return Ok(receipt);
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(30),
                "transaction {hash} not mined in 30 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Deploys the test stablecoin from `deployer` (its only minter).
    pub async fn deploy_stablecoin(&self, deployer: Address) -> anyhow::Result<Address> {
        let artifact: serde_json::Value =
            serde_json::from_str(ARTIFACT).context("contract artifact")?;
        let code: Bytes = artifact["bytecode"]
            .as_str()
            .context("artifact has no bytecode")?
            .parse()
            .context("artifact bytecode")?;
        let receipt = self
            .send(
                TransactionRequest::default()
                    .from(deployer)
                    .with_deploy_code(code),
            )
            .await
            .context("deploying the test stablecoin")?;
        receipt
            .contract_address
            .context("the deployment created no contract")
    }

    /// Mints `amount` base units of `token` to `to`.
    pub async fn mint(
        &self,
        token: Address,
        minter: Address,
        to: Address,
        amount: U256,
    ) -> anyhow::Result<()> {
        let data = mintCall { to, value: amount }.abi_encode();
        self.send(
            TransactionRequest::default()
                .from(minter)
                .to(token)
                .with_input(data),
        )
        .await
        .context("minting")?;
        Ok(())
    }

    /// Sends `wei` of the native token from an unlocked account; answers the tx hash.
    pub async fn send_native(&self, from: Address, to: Address, wei: U256) -> anyhow::Result<B256> {
        Ok(self
            .send(TransactionRequest::default().from(from).to(to).value(wei))
            .await?
            .transaction_hash)
    }

    /// Sends `amount` of `token` from an unlocked account; answers the tx hash.
    pub async fn send_token(
        &self,
        token: Address,
        from: Address,
        to: Address,
        amount: U256,
    ) -> anyhow::Result<B256> {
        let data = crate::chain::treasury::transferCall { to, value: amount }.abi_encode();
        Ok(self
            .send(
                TransactionRequest::default()
                    .from(from)
                    .to(token)
                    .with_input(data),
            )
            .await?
            .transaction_hash)
    }

    /// `token`'s balance of `owner`.
    pub async fn token_balance(&self, token: Address, owner: Address) -> anyhow::Result<U256> {
        let data = balanceOfCall { owner }.abi_encode();
        let answer = self
            .provider
            .call(TransactionRequest::default().to(token).with_input(data))
            .await
            .context("balanceOf")?;
        Ok(balanceOfCall::abi_decode_returns(&answer)?)
    }

    /// Sets an account's native balance (anvil only).
    pub async fn set_balance(&self, address: Address, wei: U256) -> anyhow::Result<()> {
        let _: serde_json::Value = self
            .provider
            .raw_request("anvil_setBalance".into(), (address, wei))
            .await
            .context("anvil_setBalance")?;
        Ok(())
    }

    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }
}

/// anvil's first three funded accounts (from the well-known dev mnemonic).
pub const DEV_ACCOUNTS: [Address; 3] = [
    alloy::primitives::address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"),
    alloy::primitives::address!("70997970C51812dc3A010C7d01b50e0d17dc79C8"),
    alloy::primitives::address!("3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"),
];

/// Readies a fresh anvil for Tender: deploys the test stablecoin from the
/// first dev account, mints 1,000,000 of it to each dev account and to the
/// treasury, and gives the treasury 1,000 of the native token for gas and
/// payouts. Answers the stablecoin's address.
pub async fn prepare(rpc: Url, treasury: Address) -> anyhow::Result<Address> {
    let devnet = Devnet::connect(rpc);
    let deployer = DEV_ACCOUNTS[0];
    let token = devnet.deploy_stablecoin(deployer).await?;
    let million = U256::from(1_000_000u64) * U256::from(10u64).pow(U256::from(STABLECOIN_DECIMALS));
    for to in DEV_ACCOUNTS.into_iter().chain([treasury]) {
        devnet.mint(token, deployer, to, million).await?;
    }
    let thousand_eth = U256::from(1_000u64) * U256::from(10u64).pow(U256::from(18u64));
    devnet.set_balance(treasury, thousand_eth).await?;
    Ok(token)
}
